// Plaid Link, on a deployment with Plaid only: the Worker marks the page (`data-plaid-link` on <html>,
// src/app-page.ts) exactly when its Content-Security-Policy allows Plaid's script, frame and API host.
// The script is loaded from Plaid's CDN (Plaid serves it nowhere else) on the first click, never on
// a deployment without the mark, so such a page asks no other host for anything.
import { ApiError, api, send } from "./api";

/** The part of Plaid's `window.Plaid` this app uses (Link web SDK: create, then open). */
type PlaidGlobal = {
  create(options: {
    token: string;
    onSuccess: (publicToken: string, metadata: { accounts: { id: string }[] }) => void;
    onExit: (error: { display_message?: string | null; error_message?: string } | null) => void;
  }): { open(): void; destroy(): void };
};

const SCRIPT = "https://cdn.plaid.com/link/v2/stable/link-initialize.js";

/** Whether this deployment has Plaid (the Worker's mark on the page). */
export const plaidAvailable = (): boolean => document.documentElement.hasAttribute("data-plaid-link");

let loading: Promise<PlaidGlobal> | undefined;
function loadPlaid(): Promise<PlaidGlobal> {
  loading ??= new Promise<PlaidGlobal>((resolve, reject) => {
    const script = document.createElement("script");
    script.src = SCRIPT;
    script.onload = () => ((window as unknown as { Plaid?: PlaidGlobal }).Plaid ? resolve((window as unknown as { Plaid: PlaidGlobal }).Plaid) : reject(new Error("no Plaid")));
    script.onerror = () => reject(new Error("Plaid's script did not load"));
    document.head.append(script);
  }).catch((error: unknown) => {
    loading = undefined; // the next click tries again
    throw error;
  });
  return loading;
}

/** What Link gave: the public token and the account the user chose; undefined when the user closed Link. */
export type PlaidChoice = { plaid_public_token: string; plaid_account_id: string };

/**
 * A link token from the API, Plaid's script, then Link itself. Every failure is an ApiError in the
 * user's words, so the screen shows it as it shows the API's.
 */
export async function chooseWithPlaid(): Promise<PlaidChoice | undefined> {
  let token: string;
  try {
    token = (await send(api.platform.plaid["link-token"].$post())).link_token;
  } catch (error) {
    if (error instanceof ApiError && error.problem?.code === "not_configured") throw new ApiError("Linking with Plaid is not available here. Enter your bank's details below instead.", error.status, error.problem);
    throw error;
  }
  let Plaid: PlaidGlobal;
  try {
    Plaid = await loadPlaid();
  } catch {
    throw new ApiError("Plaid could not be reached. Check your connection and try again, or enter your bank's details below.", 0);
  }
  return new Promise((resolve, reject) => {
    const handler = Plaid.create({
      token,
      onSuccess: (publicToken, metadata) => {
        handler.destroy();
        const account = metadata.accounts[0];
        if (account) resolve({ plaid_public_token: publicToken, plaid_account_id: account.id });
        else reject(new ApiError("Plaid did not say which account you chose. Try again and pick one account.", 0));
      },
      onExit: (error) => {
        handler.destroy();
        if (error) reject(new ApiError(error.display_message ?? "Plaid could not link your bank. Try again, or enter your bank's details below.", 0));
        else resolve(undefined);
      },
    });
    handler.open();
  });
}
