// The reference web app: everything a user of an investing app does, on this API only.
import { render, useEffect, useState } from "hono/jsx/dom";
import { ApiError, accessToken, api, endSession, onSessionChange, send, signedIn } from "./api";
import { AccountPending, OpenAccount } from "./screens/account";
import { Activity } from "./screens/activity";
import { Documents } from "./screens/documents";
import { SignIn, SignUp, VerifyEmail } from "./screens/auth";
import { Money } from "./screens/money";
import { Portfolio, Trade } from "./screens/trade";
import { follow } from "./live";
import { Notice, useLive, useLoad } from "./ui";

const SCREENS = [
  ["#/", "Portfolio"],
  ["#/trade", "Trade"],
  ["#/money", "Money"],
  ["#/activity", "Activity"],
  ["#/documents", "Documents"],
] as const;

function useHash(): string {
  const [hash, setHash] = useState(location.hash || "#/");
  useEffect(() => {
    const changed = () => setHash(location.hash || "#/");
    addEventListener("hashchange", changed);
    return () => removeEventListener("hashchange", changed);
  }, []);
  return hash;
}

function App() {
  const [, setVersion] = useState(0);
  const [notice, setNotice] = useState<string | undefined>();
  useEffect(() => onSessionChange(() => setVersion((n) => n + 1)), []);
  const hash = useHash();
  // Each screen's heading gets the focus when the screen changes, as a page load would give it.
  useEffect(() => {
    const heading = document.querySelector<HTMLElement>("main h1");
    heading?.setAttribute("tabindex", "-1");
    heading?.focus();
  }, [hash, signedIn()]);

  if (!signedIn()) {
    return (
      <Shell>
        {hash === "#/signup" ? <SignUp /> : <SignIn notice={notice} />}
      </Shell>
    );
  }
  return <SignedIn hash={hash} onSignedOut={setNotice} />;
}

function SignedIn({ hash, onSignedOut }: { hash: string; onSignedOut: (notice: string) => void }) {
  const profile = useLoad(() => send(api.platform.me.$get({ query: {} })));
  const account = useLoad(
    () =>
      send(api.platform.accounts.me.$get()).catch((error: unknown) => {
        if (error instanceof ApiError && error.problem?.code === "brokerage_account_not_found") return undefined;
        throw error;
      }),
    (data) => data !== undefined && data.status !== "ACTIVE" && data.status !== "ACCOUNT_CLOSED",
  );
  // Once there is an account, its changes come live: its status too, while the broker reviews it.
  useEffect(() => {
    if (account.data) void follow();
  }, [account.data !== undefined]);
  // The event's body is GET …/status's (D1's, current), fresher than the account view, which may be 5 s old.
  useLive(["account"], (_, change) => account.update((data) => (data && change.status ? { ...data, status: change.status } : data)));

  const signOut = async () => {
    const token = accessToken();
    endSession();
    location.hash = "#/signin";
    if (!token) return;
    // The tokens are gone from this page already; the server then ends the session everywhere.
    const res = await fetch("/platform/logout", { method: "POST", headers: { authorization: `Bearer ${token}`, "content-type": "application/json" }, body: "{}" }).catch(() => undefined);
    onSignedOut(res?.ok ? "You are signed out." : "You are signed out on this page. The server could not end your other sessions; sign in and out again later to end them.");
  };

  let screen;
  const me = profile.data;
  if (profile.error || account.error) screen = <Notice kind="error">{profile.error ?? account.error}</Notice>;
  else if (!me || account.loading) screen = <p role="status">Loading…</p>;
  else if (!me.email_verified) screen = <VerifyEmail email={me.email} onVerified={profile.reload} />;
  else if (!account.data) screen = <OpenAccount onOpened={account.reload} />;
  else if (account.data.status !== "ACTIVE") screen = <AccountPending account={account.data} />;
  else if (hash === "#/trade") screen = <Trade />;
  else if (hash === "#/money") screen = <Money totp={me.mfa.includes("totp")} />;
  else if (hash === "#/activity") screen = <Activity />;
  else if (hash === "#/documents") screen = <Documents />;
  else screen = <Portfolio />;

  const ready = account.data?.status === "ACTIVE";
  return (
    <Shell
      nav={
        <nav aria-label="Main">
          {ready &&
            SCREENS.map(([href, label]) => (
              <a href={href} aria-current={(hash === href || (href === "#/" && !SCREENS.some(([other]) => other === hash))) ? "page" : undefined}>
                {label}
              </a>
            ))}
          <button type="button" class="link" onClick={signOut}>
            Sign out
          </button>
        </nav>
      }
      who={me?.email ?? undefined}
    >
      {screen}
    </Shell>
  );
}

function Shell({ children, nav, who }: { children: unknown; nav?: unknown; who?: string }) {
  return (
    <>
      <header>
        <a class="brand" href="#/">
          edge-brokerage
        </a>
        {who && <span class="who">{who}</span>}
        {nav}
      </header>
      <main id="main">{children}</main>
    </>
  );
}

render(<App />, document.getElementById("app")!);
