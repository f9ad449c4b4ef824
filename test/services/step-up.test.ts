// The one-time rule of a step-up code, on the test's real D1 and in an isolate's memory: a code is
// refused while Cognito could still accept it, and accepted again only once that window has passed.
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { acceptedCodesIn, acceptedCodesInIsolate, codeKey } from "../../src/services/step-up";
import { StepUpCodeStore } from "../../src/stores/step-up-codes";

const STEP = 30_000;
const key = codeKey("test-secret-for-step-up-codes");

describe.each([
  ["D1", () => acceptedCodesIn(new StepUpCodeStore(env.DB), key)],
  ["the isolate", () => acceptedCodesInIsolate(key)],
])("accepted codes in %s", (_where, make) => {
  it("refuses a code for the three steps after the one it was accepted in (Cognito's window and a step of skew), then takes it again", async () => {
    const codes = make();
    const sub = crypto.randomUUID();
    const at = 1_000 * STEP;
    expect(await codes.accept(sub, "123456", at)).toBe(true);
    for (const later of [0, 1, 2, 3]) expect(await codes.accept(sub, "123456", at + later * STEP + STEP - 1)).toBe(false);
    expect(await codes.accept(sub, "123456", at + 4 * STEP)).toBe(true);
  });

  it("keeps each code of a user apart, and each user apart", async () => {
    const codes = make();
    const [ann, bea] = [crypto.randomUUID(), crypto.randomUUID()];
    const at = 2_000 * STEP;
    expect(await codes.accept(ann, "111111", at)).toBe(true);
    expect(await codes.accept(ann, "222222", at + STEP)).toBe(true);
    // The first code is still refused after a second one was accepted.
    expect(await codes.accept(ann, "111111", at + STEP)).toBe(false);
    expect(await codes.accept(bea, "111111", at)).toBe(true);
  });
});
