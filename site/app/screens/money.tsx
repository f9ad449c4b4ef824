// Money: link a bank by its details, deposit, withdraw (with the step up), the transfers.
import { useMemo } from "hono/jsx/dom";
import { Attempt, api, send } from "../api";
import { Field, Form, Notice, Select, money, optional, text, upsert, useLive, useLoad, when } from "../ui";

const FINAL_TRANSFER = new Set(["COMPLETE", "CANCELED", "REJECTED", "RETURNED", "EXPIRED"]);
const ENDED_LINK = new Set(["REJECTED", "CANCELED", "CANCEL_REQUESTED"]);

type Link = { id: string; status: string; nickname: string | null; bank_account_type: string | null; account_number_last4: string | null };

export function Money({ totp }: { totp: boolean }) {
  const links = useLoad(() => send(api.platform.accounts.me["bank-links"].$get()), (data) => data.bank_links.some((link) => link.status === "QUEUED"));
  const transfers = useLoad(() => send(api.platform.accounts.me.transfers.$get({ query: {} })), (data) => data.transfers.some((transfer) => !FINAL_TRANSFER.has(transfer.status)));
  useLive(["bank_link"], (_, link) => links.update((data) => ({ ...data, bank_links: upsert(data.bank_links, link as (typeof data.bank_links)[number]) })));
  useLive(["transfer"], (_, transfer) => transfers.update((data) => ({ ...data, transfers: upsert(data.transfers, transfer as (typeof data.transfers)[number]) })));
  const active = (links.data?.bank_links ?? []).filter((link) => !ENDED_LINK.has(link.status));
  const approved = active.filter((link) => link.status === "APPROVED");
  return (
    <section aria-labelledby="money-title">
      <h1 id="money-title">Money</h1>
      {links.error && <Notice kind="error">{links.error}</Notice>}
      <h2>Bank account</h2>
      {active.length === 0 && !links.loading && <LinkBank onLinked={links.reload} />}
      <ul class="rows" aria-label="Linked bank accounts">
        {active.map((link) => (
          <li>
            <span>
              {link.nickname ?? "Bank account"} · {link.bank_account_type?.toLowerCase()} ending {link.account_number_last4}
            </span>
            <span class={`status ${link.status.toLowerCase()}`} data-testid="bank-link-status">
              {link.status === "QUEUED" ? "being checked" : link.status.toLowerCase()}
            </span>
          </li>
        ))}
      </ul>
      {approved.length > 0 && (
        <>
          <h2>Deposit</h2>
          <Transfer direction="INCOMING" links={approved} totp={totp} onDone={transfers.reload} />
          <h2>Withdraw</h2>
          <Transfer direction="OUTGOING" links={approved} totp={totp} onDone={transfers.reload} />
        </>
      )}
      <h2>Transfers</h2>
      {transfers.error && <Notice kind="error">{transfers.error}</Notice>}
      <Transfers transfers={transfers.data?.transfers ?? []} />
    </section>
  );
}

function LinkBank({ onLinked }: { onLinked: () => void }) {
  const attempt = useMemo(() => new Attempt(), []);
  return (
    <Form
      label="Link a bank account"
      submit="Link this bank account"
      onSend={async (values) => {
        const nickname = optional(values, "nickname");
        const json = {
          account_owner_name: text(values, "account_owner_name"),
          bank_account_type: text(values, "bank_account_type") === "SAVINGS" ? ("SAVINGS" as const) : ("CHECKING" as const),
          bank_account_number: text(values, "bank_account_number").replace(/\s/g, ""),
          bank_routing_number: text(values, "bank_routing_number").replace(/\s/g, ""),
          ...(nickname ? { nickname } : {}),
        };
        await attempt.send(json, (key) => send(api.platform.accounts.me["bank-links"].$post({ json, header: { "idempotency-key": key } })));
        onLinked();
      }}
    >
      <Field name="account_owner_name" label="Account holder's name" autocomplete="name" required />
      <Select name="bank_account_type" label="Account type" options={[["CHECKING", "Checking"], ["SAVINGS", "Savings"]]} />
      <Field name="bank_routing_number" label="Routing number" inputmode="numeric" hint="9 digits, on the bottom left of a check." required />
      <Field name="bank_account_number" label="Account number" inputmode="numeric" autocomplete="off" required />
      <Field name="nickname" label="Nickname (optional)" />
    </Form>
  );
}

function Transfer({ direction, links, totp, onDone }: { direction: "INCOMING" | "OUTGOING"; links: Link[]; totp: boolean; onDone: () => void }) {
  const attempt = useMemo(() => new Attempt(), []);
  const out = direction === "OUTGOING";
  const prefix = out ? "withdraw" : "deposit";
  return (
    <Form
      label={out ? "Withdraw" : "Deposit"}
      submit={out ? "Withdraw" : "Deposit"}
      // The form's fields have their own names (two transfer forms on one page); the API's go beside them.
      fieldsFor={(fields) => Object.fromEntries(Object.entries(fields).map(([field, message]) => [`${prefix}.${field}`, message]))}
      onSend={async (values) => {
        const json = { bank_link_id: text(values, `${prefix}.bank_link_id`), amount: text(values, `${prefix}.amount`).replace(/^\$/, "").replaceAll(",", ""), direction };
        const password = String(values.get(`${prefix}.password`) ?? "");
        const code = optional(values, `${prefix}.code`);
        const stepUp = out ? { ...(password ? { password } : {}), ...(code ? { code } : {}) } : {};
        // The key covers what moves money, not the step up: a retry with a corrected password is the same withdrawal.
        await attempt.send(json, (key) => send(api.platform.accounts.me.transfers.$post({ json: { ...json, ...stepUp }, header: { "idempotency-key": key } })));
        onDone();
      }}
    >
      <Select name={`${prefix}.bank_link_id`} label={out ? "To" : "From"} options={links.map((link) => [link.id, `${link.nickname ?? "Bank account"} ending ${link.account_number_last4}`])} />
      <Field name={`${prefix}.amount`} label="Amount in US dollars" inputmode="decimal" placeholder="100.00" required />
      {out && <Field name={`${prefix}.password`} label="Your password, to confirm it is you" type="password" autocomplete="current-password" required />}
      {out && totp && <Field name={`${prefix}.code`} label="Authenticator code" inputmode="numeric" autocomplete="one-time-code" required />}
    </Form>
  );
}

export function Transfers({ transfers }: { transfers: { id: string; status: string; amount: string; direction: string; created_at: string }[] }) {
  if (transfers.length === 0) return <p>No transfers yet.</p>;
  return (
    <ul class="rows" aria-label="Transfers">
      {transfers.map((transfer) => (
        <li data-transfer-id={transfer.id}>
          <span>
            {transfer.direction === "INCOMING" ? "Deposit" : "Withdrawal"} of {money(transfer.amount)} · {when(transfer.created_at)}
          </span>
          <span class={`status ${transfer.status.toLowerCase()}`} data-testid="transfer-status">
            {transfer.status.toLowerCase().replaceAll("_", " ")}
          </span>
        </li>
      ))}
    </ul>
  );
}
