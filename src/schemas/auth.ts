import * as z from "zod/mini";

/** Trimmed and lower-cased, so " Ann@Example.com" and "ann@example.com" are one account. */
export const Email = z.pipe(
  z.string({ error: "email must be a string" }).check(z.trim(), z.toLowerCase(), z.maxLength(254, { error: "email must be at most 254 characters" })),
  z.email({ error: "email must be a valid email address" }),
);

/** 256 characters is the most Cognito accepts; the pool's policy decides the rest. */
export const Password = z.string({ error: "password must be a string" }).check(
  z.minLength(1, { error: "password must not be empty" }),
  z.maxLength(256, { error: "password must be at most 256 characters" }),
);

export const Credentials = z.object({ email: Email, password: Password });
export type Credentials = z.infer<typeof Credentials>;

export const TokensResponse = z.object({
  access_token: z.string(),
  id_token: z.string(),
  refresh_token: z.string(),
  expires_in: z.number(),
  token_type: z.string(),
  cognito_user_id: z.string(),
});
export type TokensResponse = z.infer<typeof TokensResponse>;
