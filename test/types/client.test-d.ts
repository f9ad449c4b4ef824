// What hc<AppType> sees, at the type level: every brokerage route's success body is the type derived
// from its documented schema (creates included, though they answer stored bytes), and a create asks
// for its Idempotency-Key. Checked by `npm test`'s tsc (tsconfig includes test/); vitest runs only
// *.test.ts, so nothing here runs.
import { hc, type InferRequestType, type InferResponseType } from "hono/client";
import { expectTypeOf } from "vitest";
import type { AppType } from "../../src/index";
import type { BrokerTradingAccount } from "../../src/broker/accounts";
import type { AccountViewResponse } from "../../src/schemas/brokerage-responses";
import type {
  ActivityEntryResponse,
  BankLinkResponse,
  LinkTokenResponse,
  OrderResponse,
  PositionResponse,
  TransferResponse,
} from "../../src/schemas/funding-responses";

const platform = hc<AppType>("http://127.0.0.1:8787").platform;
const me = platform.accounts.me;

// Creates: the stored bytes' route helper types them as the entity's JSON, at 201.
expectTypeOf<InferResponseType<typeof me.transfers.$post, 201>>().toEqualTypeOf<TransferResponse>();
expectTypeOf<InferResponseType<typeof me.orders.$post, 201>>().toEqualTypeOf<OrderResponse>();
expectTypeOf<InferResponseType<(typeof me)["bank-links"]["$post"], 201>>().toEqualTypeOf<BankLinkResponse>();
expectTypeOf<InferResponseType<typeof platform.accounts.$post, 201>>().toEqualTypeOf<AccountViewResponse>();

// Each create takes its Idempotency-Key as typed input: a call without it does not compile.
expectTypeOf<InferRequestType<typeof me.transfers.$post>["header"]>().toEqualTypeOf<{ "idempotency-key": string }>();
expectTypeOf<InferRequestType<typeof me.orders.$post>["header"]>().toEqualTypeOf<{ "idempotency-key": string }>();
expectTypeOf<InferRequestType<(typeof me)["bank-links"]["$post"]>["header"]>().toEqualTypeOf<{ "idempotency-key": string }>();
// @ts-expect-error: a transfer without its Idempotency-Key
void me.transfers.$post({ json: { bank_link_id: "b", amount: "1.00", direction: "INCOMING" } });

// Reads, lists and the other answers.
expectTypeOf<InferResponseType<typeof me.$get, 200>>().toEqualTypeOf<AccountViewResponse>();
expectTypeOf<InferResponseType<typeof me.$patch, 200>>().toEqualTypeOf<AccountViewResponse>();
expectTypeOf<InferResponseType<typeof me.close.$post, 200>>().toEqualTypeOf<AccountViewResponse>();
// The trading account is the Broker API's, passed on as it is: its schema is the Broker client's.
expectTypeOf<InferResponseType<typeof me.trading.$get, 200>>().toEqualTypeOf<BrokerTradingAccount>();
expectTypeOf<InferResponseType<(typeof me.transfers)[":id"]["$get"], 200>>().toEqualTypeOf<TransferResponse>();
expectTypeOf<InferResponseType<typeof me.transfers.$get, 200>>().toEqualTypeOf<{ transfers: TransferResponse[]; next_cursor: string | null }>();
expectTypeOf<InferResponseType<(typeof me.orders)[":id"]["$get"], 200>>().toEqualTypeOf<OrderResponse>();
expectTypeOf<InferResponseType<typeof me.orders.$get, 200>>().toEqualTypeOf<{ orders: OrderResponse[]; next_cursor: string | null }>();
expectTypeOf<InferResponseType<(typeof me.positions)[":symbol"]["$delete"], 200>>().toEqualTypeOf<OrderResponse>();
expectTypeOf<InferResponseType<typeof me.positions.$get, 200>>().toEqualTypeOf<{ positions: PositionResponse[] }>();
expectTypeOf<InferResponseType<(typeof me)["bank-links"]["$get"], 200>>().toEqualTypeOf<{ bank_links: BankLinkResponse[] }>();
expectTypeOf<InferResponseType<(typeof platform.plaid)["link-token"]["$post"], 200>>().toEqualTypeOf<LinkTokenResponse>();
expectTypeOf<InferResponseType<typeof me.activity.$get, 200>>().toEqualTypeOf<{ events: ActivityEntryResponse[]; next_cursor: string | null }>();

// A field of the order by its one name: renamed in OrderResponse, this and the flow's mapping stop compiling.
expectTypeOf<InferResponseType<typeof me.orders.$post, 201>>().toHaveProperty("filled_avg_price").toEqualTypeOf<string | null>();
