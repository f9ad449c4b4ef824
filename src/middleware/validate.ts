import { zValidator } from "@hono/zod-validator";
import type { Context, Env as HonoEnv } from "hono";
import { createMiddleware } from "hono/factory";
import type * as z from "zod/mini";
import { Failure, type FieldError } from "../failures";

type Issue = { path: PropertyKey[]; message: string; code?: string };

function fieldErrors(issues: readonly Issue[]): FieldError[] {
  return issues.map((issue) => ({
    field: issue.path.map(String).join(".") || "(body)",
    message: issue.code === "unrecognized_keys" || issue.path.length > 0 ? issue.message : "body must be a JSON object",
  }));
}

/** A failed validation is a 400 problem listing every field at fault. */
function validator<Target extends "json" | "query" | "header">(target: Target) {
  return <T extends z.ZodMiniType>(schema: T) =>
    zValidator(target, schema, (result) => {
      if (!result.success) throw new Failure("validation_failed", { errors: fieldErrors(result.error.issues) });
    });
}

/** The JSON body, read and checked for well-formed JSON by forPlatform (readJsonBody), checked against `schema`. */
export const validJson = validator("json");
export const validQuery = validator("query");
/** Request headers, lower-cased names (the live stream's Last-Event-ID). */
export const validHeader = validator("header");

/**
 * The JSON body checked against the schema `schemaOf` picks for this request: one made from the
 * settings (a transfer's maximum), or one of two bodies told apart by a field, so that each gets
 * its own field errors (a union would name none).
 */
export function validJsonBy<E extends HonoEnv, T extends z.ZodMiniType>(schemaOf: (c: Context<E>, body: unknown) => T) {
  return createMiddleware<E, string, { in: { json: z.input<T> }; out: { json: z.output<T> } }>(async (c, next) => {
    // Read already by forPlatform (readJsonBody) (cached); no body reads as {}, as the validator reads it.
    const body: unknown = await c.req.json().catch(() => ({}));
    return validJson(schemaOf(c, body))(c as never, next);
  });
}
