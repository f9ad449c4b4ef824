/**
 * What an isolate keeps for its life, made once per owner: workerd keeps one `env` object per isolate,
 * and the config parsed from it is one object too, so a value kept for either is found again on every
 * request without building a key. `make` names the slot: each module passes its own function.
 */
const kept = new WeakMap<object, Map<(owner: never) => unknown, unknown>>();

export function keptFor<Owner extends object, T>(owner: Owner, make: (owner: Owner) => T): T {
  let slots = kept.get(owner);
  if (!slots) {
    slots = new Map();
    kept.set(owner, slots);
  }
  if (!slots.has(make)) slots.set(make, make(owner));
  return slots.get(make) as T;
}
