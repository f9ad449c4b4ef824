import { describe, expect, it } from "vitest";
import committed from "../docs/openapi.json";
import app from "../src/index";
import { openApiDocument } from "../src/openapi";

describe("OpenAPI document", () => {
  it("is current: docs/openapi.json is what `npm run openapi` writes from the schemas", () => {
    expect(JSON.parse(JSON.stringify(openApiDocument()))).toEqual(committed);
  });

  it("documents exactly the routes the app serves", () => {
    const served = new Set(app.routes.filter((route) => route.method !== "ALL").map((route) => `${route.method} ${route.path}`));
    const documented = new Set(
      Object.entries(openApiDocument().paths).flatMap(([path, methods]) => Object.keys(methods).map((method) => `${method.toUpperCase()} ${path}`)),
    );
    expect([...documented].sort()).toEqual([...served].sort());
  });
});
