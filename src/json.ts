/** JSON from outside (Cognito, a JWKS, configuration): parsed without throwing, shapes checked by the caller. */

export function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

export function isJsonObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/**
 * The JSON text of a `V`: a string that says what it spells, for an answer sent as its stored bytes
 * (services/funding.ts Created), so that the route can still type its body. Made only by a cast.
 */
export type JsonText<V> = string & { readonly spells?: V };
