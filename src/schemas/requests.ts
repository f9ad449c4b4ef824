import * as z from "zod/mini";

/** A string field: zod gives one message for a missing field and a wrong type, and a person needs to know which. */
const text = (name: string) => z.string({ error: (issue) => (issue.input === undefined ? `${name} is required` : `${name} must be a string`) });

/** Trimmed and lower-cased, so " Ann@Example.com" and "ann@example.com" are one account. */
export const Email = z.pipe(
  text("email").check(z.trim(), z.toLowerCase(), z.maxLength(254, { error: "email must be at most 254 characters" })),
  z.email({ error: "email must be a valid email address" }),
);

/** 256 characters is the most Cognito accepts; the pool's policy decides the rest. */
const password = (name: string) =>
  text(name).check(z.minLength(1, { error: `${name} must not be empty` }), z.maxLength(256, { error: `${name} must be at most 256 characters` }));

export const Password = password("password");

export const Credentials = z.object({ email: Email, password: Password });

/** Cognito's codes are 6 digits; its model allows any non-space string, so only the shape is checked. */
export const Code = text("code").check(
  z.trim(),
  z.regex(/^\S{1,64}$/, { error: "code must be 1 to 64 characters without spaces" }),
);

/** Cognito's refresh tokens are opaque JWEs of about 1.8 KB. */
export const RefreshToken = text("refresh_token").check(
  z.regex(/^[\w.=+/-]{20,8192}$/, { error: "refresh_token is not a refresh token" }),
);

const UserId = text("cognito_user_id").check(
  z.regex(/^[\p{L}\p{M}\p{S}\p{N}\p{P}]{1,128}$/u, { error: "cognito_user_id is not a user id" }),
);

/** An authenticator app's code: 6 digits (Cognito's VerifySoftwareToken takes nothing else). */
export const TotpCode = text("code").check(z.trim(), z.regex(/^\d{6}$/, { error: "code must be 6 digits" }));

/** Cognito's challenge Session (20 to 2048 characters, its API model), sealed by this API (a dot and 43 more). */
const ChallengeSession = text("session").check(
  z.regex(/^[\w.=+/-]{20,2100}$/, { error: "session is not a sign-in session" }),
);

export const EmailOnly = z.object({ email: Email });

export const MfaLogin = z.object({ email: Email, session: ChallengeSession, code: TotpCode });

export const TotpCodeOnly = z.object({ code: TotpCode });

export const CodeOnly = z.object({ code: Code });

/**
 * The step up of every stepped-up route (Deps.stepUp, root.ts): the password, and `code` when TOTP is on
 * for the account. Both optional here, so that a missing one is the 403 step_up_required naming it.
 */
export const StepUpFields = { password: z.optional(Password), code: z.optional(TotpCode) };

export const StepUp = z.object(StepUpFields);

export const EmailChange = z.object({ email: Email, ...StepUpFields });

/** The step up with the password named `current_password`, beside the new one. */
export const ChangePassword = z.object({ current_password: z.optional(password("current_password")), new_password: password("new_password"), code: StepUpFields.code });

export const ConfirmSignUp = z.object({ email: Email, code: Code });

export const ResetPassword = z.object({ email: Email, code: Code, password: Password });

export const Refresh = z.object({ refresh_token: RefreshToken, cognito_user_id: z.optional(UserId) });

export const Logout = z.object({ refresh_token: z.optional(RefreshToken) });

export const MeQuery = z.object({
  fresh: z.optional(z.enum(["true", "false"], { error: "fresh must be true or false" })),
});
