import { describe, expect, it } from "vitest";
import * as z from "zod/mini";
import { app } from "../../src/index";
import { OPERATIONS, openApiDocument, openApiPath } from "../../src/docs/openapi";

describe("OpenAPI document", () => {
  it("documents exactly the routes the app serves", () => {
    const served = new Set(app.routes.filter((route) => route.method !== "ALL").map((route) => `${route.method} ${openApiPath(route.path)}`));
    const documented = new Set(
      Object.entries(openApiDocument().paths).flatMap(([path, methods]) => Object.keys(methods).map((method) => `${method.toUpperCase()} ${path}`)),
    );
    expect([...documented].sort()).toEqual([...served].sort());
  });

  it("gives every body an example that its schema accepts", () => {
    const rejected = OPERATIONS.flatMap((op) =>
      [["request", op.body] as const, ...Object.entries(op.responses).map(([status, response]) => [status, response.body] as const)].flatMap(
        ([which, body]) => (body && !z.safeParse(body.schema, body.example).success ? [`${op.operationId} ${which}`] : []),
      ),
    );
    expect(rejected).toEqual([]);
  });

  it("has an example for every request and response body, problems included", () => {
    const document = openApiDocument();
    const withoutExample: string[] = [];
    for (const [path, methods] of Object.entries(document.paths)) {
      for (const [method, operation] of Object.entries(methods) as [string, { requestBody?: Body; responses: Record<string, Body> }][]) {
        const bodies = { request: operation.requestBody, ...operation.responses };
        for (const [which, body] of Object.entries(bodies)) {
          for (const [mediaType, content] of Object.entries(body?.content ?? {})) {
            if (content.example === undefined && Object.keys(content.examples ?? {}).length === 0) withoutExample.push(`${method} ${path} ${which} ${mediaType}`);
          }
        }
      }
    }
    expect(withoutExample).toEqual([]);
  });
});

type Body = { content?: Record<string, { example?: unknown; examples?: Record<string, unknown> }> };
