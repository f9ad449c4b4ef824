import { zValidator } from "@hono/zod-validator";
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
function validator<Target extends "json" | "query">(target: Target) {
  return <T extends z.ZodMiniType>(schema: T) =>
    zValidator(target, schema, (result) => {
      if (!result.success) throw new Failure("validation_failed", { errors: fieldErrors(result.error.issues) });
    });
}

/** The JSON body, parsed by parseJsonBody, checked against `schema`. */
export const validJson = validator("json");
export const validQuery = validator("query");
