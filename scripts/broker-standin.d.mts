export interface BrokerStandin {
  /** e.g. http://127.0.0.1:41234, no trailing slash; Plaid's endpoints are under `${url}/plaid/`. */
  url: string;
  /** How many event streams are open now. */
  streamsOpen(): number;
  stop(): Promise<void>;
}
export const LOCAL_KEY_ID: string;
export const LOCAL_SECRET: string;
export const LOCAL_PLAID_CLIENT_ID: string;
export const LOCAL_PLAID_SECRET: string;
/** The asset list: the fixed fill price (a decimal string) and traits of each symbol the stand-in knows (tradable unless `tradable: false`). */
export const PRICES: Record<string, { price: string; name: string; exchange: string; fractionable: boolean; tradable?: boolean; asset_id: string }>;
export function startBrokerStandin(options: {
  /** 0 (the default): a free port. */
  port?: number;
  /** Where state.json lives. */
  dir: string;
  keyId: string;
  secret: string;
  plaidClientId?: string;
  plaidSecret?: string;
  /** How long SUBMITTED accounts (APPROVED at half of it, ACTIVE at all of it), QUEUED bank links and QUEUED transfers take to move on. Default 3000. */
  activateAfterMs?: number;
  /** How often an open event stream gets a heartbeat comment. Default 15000. */
  heartbeatMs?: number;
  /** Calls a minute before 429. Default 1000. */
  rateLimitPerMinute?: number;
  log?: (line: string) => void;
}): Promise<BrokerStandin>;
/** BROKER_API_URL, MARKET_DATA_URL (the same stand-in serves market data), APCA_BROKER_API_KEY and APCA_BROKER_API_SECRET for a stand-in started with LOCAL_KEY_ID and LOCAL_SECRET. */
export function standinVars(url: string): Record<string, string>;
