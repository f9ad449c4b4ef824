// Node has no `cloudflare:workers`: what src/index.ts imports of it (the Durable Object base class),
// for the code that loads the Worker in Node (bench/app-in-node.mjs, test/node via bench/subject.ts).
// Nothing there runs a Durable Object.
export class DurableObject<E = unknown> {
  protected ctx: unknown;
  protected env: E;
  constructor(ctx: unknown, env: E) {
    this.ctx = ctx;
    this.env = env;
  }
}
