import { zValidator } from "@hono/zod-validator";
import type { MiddlewareHandler } from "hono";
import type * as z from "zod/mini";
import { invalidFields, Problem, type FieldError } from "../errors";

type Issue = { path: PropertyKey[]; message: string; code?: string };

function fieldErrors(issues: readonly Issue[]): FieldError[] {
  return issues.map((issue) => ({
    field: issue.path.map(String).join(".") || "(body)",
    message: issue.code === "unrecognized_keys" || issue.path.length > 0 ? issue.message : "body must be a JSON object",
  }));
}

/** A failed validation is a 400 problem listing every field at fault. */
function validator<Target extends "json" | "query">(target: Target) {
  return <T extends z.ZodMiniType>(schema: T) =>
    zValidator(target, schema, (result) => {
      if (!result.success) throw invalidFields(fieldErrors(result.error.issues));
    });
}

export const jsonBody = validator("json");
export const queryParams = validator("query");

const JSON_MEDIA_TYPE = /^application\/([\w.-]+\+)?json$/i;

/**
 * A body must be JSON (415 otherwise) and well-formed (400 otherwise); parsing here once lets the
 * validators reuse Hono's cached result.
 */
export const requireJsonBody: MiddlewareHandler = async (c, next) => {
  if (c.req.raw.body === null || c.req.header("content-length") === "0") return next();
  const mediaType = c.req.header("content-type")?.split(";")[0]?.trim() ?? "";
  if (!JSON_MEDIA_TYPE.test(mediaType)) {
    throw new Problem(415, "unsupported_media_type", {
      detail: "Send the body as application/json.",
      headers: { "accept-post": "application/json" },
    });
  }
  try {
    await c.req.json();
  } catch (error) {
    // Anything but a parse error (the body limit cutting the stream) belongs to its own handler.
    if (!(error instanceof SyntaxError)) throw error;
    throw new Problem(400, "malformed_json", { detail: "The body is not valid JSON." });
  }
  return next();
};
