// A signed-in user (scripted Cognito) whose Market Data API and Broker API are a scripted fake upstream,
// or the stand-in: for the market routes.
import type { Reply } from "./fake-upstream";
import { brokerUser } from "./brokerage";
import { bearer } from "./own-pool";
import { apiWith } from "./worker";

const MARKET_DATA_CALL = /^GET \/v2\/stocks\//;

/**
 * A user with the Market Data API (and the Broker API's clock and calendar) answering `replies`; `vars`
 * may point both elsewhere (another user's scenario: a cache entry shared; the stand-in).
 */
export async function marketUser(replies: Record<string, Reply[]> = {}, vars: Record<string, unknown> = {}) {
  const user = await brokerUser(replies);
  const all = { ...user.vars, MARKET_DATA_URL: user.vars.BROKER_API_URL as string, ...vars };
  return {
    sub: user.sub,
    /** Where this user's market data comes from: another user given it shares its cache entries. */
    base: all.MARKET_DATA_URL as string,
    get: (path: string) => apiWith(all, path, { headers: bearer(user.token) }),
    /** The Market Data API calls made to this user's scenario (by anyone pointed at it). */
    dataCalls: async () => (await user.calls()).filter((call) => MARKET_DATA_CALL.test(call.action)),
    brokerCalls: user.brokerCalls,
  };
}
