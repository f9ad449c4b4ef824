// The served document (public/openapi.json is this function's output) against the OpenAPI 3.1 schema.
import { compileErrors, validate } from "@readme/openapi-parser";
import { describe, expect, it } from "vitest";
import { openApiDocument } from "../../src/docs/openapi";

describe("/openapi.json", () => {
  it("is a valid OpenAPI 3.1 document", async () => {
    // As served: serialized to JSON.
    const document = JSON.parse(JSON.stringify(openApiDocument()));
    const result = await validate(document);
    expect(result.valid ? "" : compileErrors(result)).toBe("");
    expect(document.openapi).toBe("3.1.0");
  });
});
