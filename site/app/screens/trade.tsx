// Trading: a quote, an order, the open orders (cancel), all orders, positions and the trading account.
import { useMemo, useState } from "hono/jsx/dom";
import { ApiError, Attempt, api, send } from "../api";
import { Field, Form, Notice, Select, money, optional, text, upsert, useLive, useLoad, when } from "../ui";

type Order = { id: string; status: string; symbol: string; side: string; type: string; qty: string | null; notional: string | null; filled_qty: string | null; filled_avg_price: string | null; limit_price: string | null; created_at: string };
type OrderBody = Parameters<typeof api.platform.accounts.me.orders.$post>[0]["json"];

const OPEN_ORDER = new Set(["new", "accepted", "pending_new", "partially_filled", "held", "accepted_for_bidding", "pending_replace", "pending_cancel", "calculated"]);

export function Trade() {
  const [symbol, setSymbol] = useState("");
  const orders = useLoad(() => send(api.platform.accounts.me.orders.$get({ query: { status: "all" } })), (data) => data.orders.some((order) => OPEN_ORDER.has(order.status)));
  // The stream's body is the order as GET answers it.
  useLive(["order"], (_, order) => orders.update((data) => ({ ...data, orders: upsert(data.orders, order as (typeof data.orders)[number]) })));
  return (
    <section aria-labelledby="trade-title">
      <h1 id="trade-title">Trade</h1>
      <Quote onSymbol={setSymbol} />
      <h2>Place an order</h2>
      <PlaceOrder symbol={symbol} onPlaced={orders.reload} />
      <h2>Orders</h2>
      {orders.error && <Notice kind="error">{orders.error}</Notice>}
      <Orders orders={orders.data?.orders ?? []} onChange={orders.reload} />
    </section>
  );
}

/** Find a stock by symbol or name, then its quote; choosing one fills the order's symbol. */
function Quote({ onSymbol }: { onSymbol: (symbol: string) => void }) {
  const [found, setFound] = useState<{ symbol: string; name: string; tradable: boolean }[] | undefined>();
  const [quote, setQuote] = useState<{ symbol: string; price?: string; bid?: string; ask?: string; time?: string } | undefined>();
  const [error, setError] = useState<string | undefined>();

  const choose = async (symbol: string) => {
    setError(undefined);
    try {
      const { snapshots } = await send(api.platform.market.snapshots.$get({ query: { symbols: symbol } }));
      const snapshot = snapshots[0];
      setQuote({ symbol, price: snapshot?.latest_trade?.price, bid: snapshot?.latest_quote?.bid_price, ask: snapshot?.latest_quote?.ask_price, time: snapshot?.latest_trade?.time });
      onSymbol(symbol);
    } catch (caught) {
      setError(caught instanceof ApiError ? caught.message : String(caught));
    }
  };

  return (
    <>
      <Form
        label="Find a stock"
        submit="Search"
        // The query's field is `q`; the form's is `search`.
        fieldsFor={(fields) => ({ search: fields.q ?? "" })}
        onSend={async (values) => {
          const { assets } = await send(api.platform.assets.$get({ query: { q: text(values, "search"), limit: "8" } }));
          setFound(assets);
          setQuote(undefined);
        }}
      >
        <Field name="search" label="Company or symbol" autocomplete="off" placeholder="Apple or AAPL" required />
      </Form>
      {found && found.length === 0 && <p role="status">No stock matches that name or symbol.</p>}
      {found && found.length > 0 && (
        <ul class="rows" aria-label="Stocks found">
          {found.map((asset) => (
            <li>
              <button type="button" class="link" onClick={() => choose(asset.symbol)}>
                <strong>{asset.symbol}</strong> {asset.name}
              </button>
              {!asset.tradable && <span class="status">not tradable here</span>}
            </li>
          ))}
        </ul>
      )}
      {error && <Notice kind="error">{error}</Notice>}
      {quote && (
        <p class="quote" role="status" data-testid="quote">
          {quote.price ? (
            <>
              <strong>{quote.symbol}</strong> last {money(quote.price)}
              {quote.bid && quote.ask && (
                <>
                  {" "}· bid {money(quote.bid)} · ask {money(quote.ask)}
                </>
              )}{" "}
              <small>{when(quote.time)}</small>
            </>
          ) : (
            <>No price for {quote.symbol} yet.</>
          )}
        </p>
      )}
    </>
  );
}

function PlaceOrder({ symbol, onPlaced }: { symbol: string; onPlaced: () => void }) {
  const attempt = useMemo(() => new Attempt(), []);
  const [type, setType] = useState("market");
  const [placed, setPlaced] = useState<Order | undefined>();
  return (
    <Form
      label="Place an order"
      submit="Place order"
      fieldsFor={(fields) => ({ ...fields, amount: fields.qty ?? fields.notional ?? "" })}
      onSend={async (values) => {
        const orderType = text(values, "type") as OrderBody["type"];
        const limit = optional(values, "limit_price");
        const stop = optional(values, "stop_price");
        const json: OrderBody = {
          symbol: text(values, "symbol").toUpperCase(),
          side: text(values, "side") === "sell" ? "sell" : "buy",
          type: orderType,
          time_in_force: text(values, "time_in_force") as OrderBody["time_in_force"],
          qty: text(values, "amount"),
          ...(limit && (orderType === "limit" || orderType === "stop_limit") ? { limit_price: limit } : {}),
          ...(stop && (orderType === "stop" || orderType === "stop_limit") ? { stop_price: stop } : {}),
        };
        setPlaced(await attempt.send(json, (key) => send(api.platform.accounts.me.orders.$post({ json, header: { "idempotency-key": key } }))));
        onPlaced();
      }}
    >
      <Field name="symbol" label="Symbol" value={symbol} autocomplete="off" placeholder="AAPL" required />
      <Select name="side" label="Buy or sell" options={[["buy", "Buy"], ["sell", "Sell"]]} />
      <div class="field">
        <label for="f-type">Order type</label>
        <select id="f-type" name="type" onChange={(event: Event) => setType((event.target as HTMLSelectElement).value)}>
          <option value="market">Market: at the current price</option>
          <option value="limit">Limit: at this price or better</option>
          <option value="stop">Stop: market once the price reaches the stop</option>
          <option value="stop_limit">Stop limit</option>
        </select>
      </div>
      <Field name="amount" label="Shares" inputmode="decimal" placeholder="1" required />
      {(type === "limit" || type === "stop_limit") && <Field name="limit_price" label="Limit price in US dollars" inputmode="decimal" required />}
      {(type === "stop" || type === "stop_limit") && <Field name="stop_price" label="Stop price in US dollars" inputmode="decimal" required />}
      <Select name="time_in_force" label="Good for" options={[["day", "Today only"], ["gtc", "Until cancelled"]]} />
      {placed && (
        <Notice kind="ok">
          Order for {placed.qty} {placed.symbol} is {placed.status.replaceAll("_", " ")}.
        </Notice>
      )}
    </Form>
  );
}

export function Orders({ orders, onChange }: { orders: Order[]; onChange: () => void }) {
  const [error, setError] = useState<string | undefined>();
  if (orders.length === 0) return <p>No orders yet.</p>;
  return (
    <>
      {error && <Notice kind="error">{error}</Notice>}
      <ul class="rows" aria-label="Orders">
        {orders.map((order) => (
          <li data-order-id={order.id}>
            <span>
              {order.side === "buy" ? "Buy" : "Sell"} {order.qty ?? money(order.notional)} {order.symbol} · {order.type.replace("_", " ")}
              {order.limit_price && <> at {money(order.limit_price)}</>}
              {order.filled_avg_price && <> · filled at {money(order.filled_avg_price)}</>} · {when(order.created_at)}
            </span>
            <span class={`status ${order.status}`} data-testid="order-status">
              {order.status.replaceAll("_", " ")}
            </span>
            {OPEN_ORDER.has(order.status) && (
              <button
                type="button"
                class="link"
                aria-label={`Cancel the order for ${order.qty} ${order.symbol}`}
                onClick={() => {
                  setError(undefined);
                  send(api.platform.accounts.me.orders[":id"].$delete({ param: { id: order.id } })).then(onChange, (caught: unknown) => setError(caught instanceof ApiError ? caught.message : String(caught)));
                }}
              >
                Cancel
              </button>
            )}
          </li>
        ))}
      </ul>
    </>
  );
}

/** Home: what the account holds. */
export function Portfolio() {
  const trading = useLoad(() => send(api.platform.accounts.me.trading.$get()));
  const positions = useLoad(() => send(api.platform.accounts.me.positions.$get()));
  // A fill or a settled transfer changes what the account holds: read it again.
  useLive(["order", "transfer"], () => {
    trading.reload();
    positions.reload();
  });
  const account = trading.data;
  return (
    <section aria-labelledby="portfolio-title">
      <h1 id="portfolio-title">Portfolio</h1>
      {trading.error && <Notice kind="error">{trading.error}</Notice>}
      {account && (
        <dl class="figures">
          <div>
            <dt>Total value</dt>
            <dd data-testid="equity">{money(account.equity)}</dd>
          </div>
          <div>
            <dt>Cash</dt>
            <dd data-testid="cash">{money(account.cash)}</dd>
          </div>
          <div>
            <dt>Buying power</dt>
            <dd>{money(account.buying_power)}</dd>
          </div>
          <div>
            <dt>Withdrawable</dt>
            <dd>{money(account.cash_withdrawable)}</dd>
          </div>
        </dl>
      )}
      <h2>Positions</h2>
      {positions.error && <Notice kind="error">{positions.error}</Notice>}
      {positions.data && positions.data.positions.length === 0 && (
        <p>
          No positions yet. <a href="#/trade">Place an order</a>.
        </p>
      )}
      {positions.data && positions.data.positions.length > 0 && (
        <table aria-label="Positions">
          <thead>
            <tr>
              <th scope="col">Symbol</th>
              <th scope="col">Shares</th>
              <th scope="col">Value</th>
              <th scope="col">Gain</th>
            </tr>
          </thead>
          <tbody>
            {positions.data.positions.map((position) => (
              <tr data-testid="position">
                <th scope="row">{position.symbol}</th>
                <td>{position.qty}</td>
                <td>{money(position.market_value)}</td>
                <td>{money(position.unrealized_pl)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
