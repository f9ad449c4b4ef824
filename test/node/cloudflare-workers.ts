// `cloudflare:workers` for Node (the node project's alias in vitest.config.ts): only the Durable
// Object base class that src/index.ts's exports extend, for Node tests that import the Worker's
// modules without running them (bench/subject.ts).
export class DurableObject<Env = unknown> {
  constructor(
    readonly ctx: unknown,
    readonly env: Env,
  ) {}
}
