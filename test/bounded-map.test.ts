import { describe, expect, it } from "vitest";
import { BoundedMap } from "../src/bounded-map";

describe("BoundedMap", () => {
  it("evicts the least recently used key once full, counting a read as a use", () => {
    const map = new BoundedMap<string, number>(2);
    map.set("a", 1);
    map.set("b", 2);
    expect(map.get("a")).toBe(1);
    map.set("c", 3);
    expect([map.get("a"), map.get("b"), map.get("c"), map.size]).toEqual([1, undefined, 3, 2]);
  });

  it("replaces a key's value without evicting another (a refresh of a full map)", () => {
    const map = new BoundedMap<string, number>(2);
    map.set("a", 1);
    map.set("b", 2);
    map.set("b", 20);
    expect([map.get("a"), map.get("b"), map.size]).toEqual([1, 20, 2]);
  });

  it("deletes what a predicate selects, and keeps nothing with a bound of 0", () => {
    const map = new BoundedMap<string, number>(3);
    for (const [key, value] of [["a", 1], ["b", 2], ["c", 3]] as const) map.set(key, value);
    map.deleteWhere((value) => value % 2 === 1);
    expect([map.get("a"), map.get("b"), map.get("c"), map.size]).toEqual([undefined, 2, undefined, 1]);
    const none = new BoundedMap<string, number>(0);
    none.set("a", 1);
    expect([none.get("a"), none.size]).toEqual([undefined, 0]);
  });
});
