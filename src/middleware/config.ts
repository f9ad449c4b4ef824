import type { ConfigResult } from "../config";
import type { Root } from "../deps";

export interface ConfigVariables {
  /** The isolate's dependencies (root.ts), built on its first request. */
  root: Root;
  /** Parsed once per isolate; routes under /platform need it to be `ok` (see forPlatform). */
  configResult: ConfigResult;
}
