import type { Root } from "../deps";

export interface ConfigVariables {
  /** The isolate's dependencies (root.ts), built on its first request; its `configResult` must be `ok` for routes under /platform (see forPlatform). */
  root: Root;
}
