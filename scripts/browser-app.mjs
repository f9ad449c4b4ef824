// The reference web app at /app/, used in Chromium as a person would, 375 px wide, by label and by
// keyboard: sign up, verify the email (the code `npm run dev` printed), open a brokerage account on
// the KYC form (first with mistakes: the API's field errors must show beside their fields), link a
// bank, deposit, withdraw (first without the password: the step up's error beside it), find a stock
// and its quote, a market order that fills, a limit order that fills on the page when the Broker
// stand-in's control fills it, one that is cancelled, the position, the transactions and activity,
// a statement downloaded as a PDF, sign out, then sign in again with the authenticator step once TOTP is on.
// Fails on any console error, page error, failed request or error answer the step did not expect.
// A screenshot of each screen goes to test-artifacts/app/ (CI keeps them with its results).
import { mkdirSync, readFileSync, rmSync } from "node:fs";
import path from "node:path";
import { totp } from "./totp.mjs";

const PASSWORD = "Br0wser-App-Pass!";

/** A POST to the API from Node, as another app of the same user would make it; the JSON answer. */
async function apiCall(base, pathname, { body, token, method = body === undefined ? "GET" : "POST" } = {}) {
  const res = await fetch(base + pathname, {
    method,
    headers: { ...(body === undefined ? {} : { "content-type": "application/json" }), ...(token ? { authorization: `Bearer ${token}` } : {}) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${pathname}: ${res.status} ${text}`);
  return text ? JSON.parse(text) : undefined;
}

/** One of the Broker stand-in's development controls (scripts/broker-standin.mjs), what the Broker does on its own time. */
async function standinControl(dev, pathname, body) {
  const base = readFileSync(path.join(dev.dataDir, ".local", "broker-standin", "url"), "utf8").trim();
  const res = await fetch(base + pathname, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body ?? {}) });
  if (!res.ok) throw new Error(`${pathname}: ${res.status} ${await res.text()}`);
  return res.json();
}

/**
 * `dev`: the check's own `npm run dev` ({ base, lines }); `check(name, ok, detail)` counts a result;
 * `launch()` opens a Chromium context; `codePrinted(dev, email, since)` waits for the code the
 * emulator printed. `artifacts`: the folder for the screenshots.
 */
export async function checkApp({ dev, check, launch, codePrinted, artifacts, timeoutMs }) {
  const shots = path.join(artifacts, "app");
  rmSync(shots, { recursive: true, force: true });
  mkdirSync(shots, { recursive: true });
  const context = await launch({ viewport: { width: 375, height: 812 }, isMobile: true, hasTouch: true });
  const problems = [];
  /** Error answers a step provoked on purpose: "status path", each excused once. */
  const expected = [];
  const expect = (status, pathname) => expected.push(`${status} ${pathname}`);
  let shotCount = 0;
  try {
    const page = context.pages()[0] ?? (await context.newPage());
    page.setDefaultTimeout(timeoutMs);
    page.on("console", (message) => {
      // Chromium reports each error answer as a console error too; the answer itself is judged below.
      if (message.type() === "error" && !/^Failed to load resource: the server responded with a status of \d+/.test(message.text())) problems.push(`console: ${message.text()}`);
    });
    page.on("pageerror", (error) => problems.push(`page error: ${error.message}`));
    page.on("requestfailed", (request) => {
      // The app closes its live stream itself on signing out: the browser reports that as aborted.
      if (/\/platform\/accounts\/me\/events\?/.test(request.url()) && request.failure()?.errorText === "net::ERR_ABORTED") return;
      problems.push(`request failed: ${request.method()} ${request.url()} ${request.failure()?.errorText}`);
    });
    // This deployment has no Plaid settings: its page must never ask Plaid for anything (src/app-page.ts).
    page.on("request", (request) => {
      if (/(^|\.)plaid\.com$/.test(new URL(request.url()).hostname)) problems.push(`request to Plaid without Plaid's settings: ${request.url()}`);
    });
    page.on("response", (response) => {
      if (response.status() < 400) return;
      const key = `${response.status()} ${new URL(response.url()).pathname}`;
      const at = expected.indexOf(key);
      if (at >= 0) expected.splice(at, 1);
      else problems.push(`unexpected answer: ${response.request().method()} ${key}`);
    });

    const shot = async (name) => {
      shotCount += 1;
      await page.screenshot({ path: path.join(shots, `${String(shotCount).padStart(2, "0")}-${name}.png`), fullPage: true });
    };
    const heading = (name) => page.getByRole("heading", { level: 1, name });
    const form = (name) => page.getByRole("form", { name });
    const step = async (name, run) => {
      try {
        await run();
        check(`app: ${name}`, true);
        return true;
      } catch (error) {
        check(`app: ${name}`, false, error.message.split("\n")[0]);
        await shot(`failed-${name.replace(/\W+/g, "-").toLowerCase()}`).catch(() => undefined);
        return false;
      }
    };

    const email = `app-${Date.now()}-${Math.random().toString(36).slice(2, 8)}@example.com`;
    let ok = await step("/app/ opens on the sign-in screen, 375 px wide without sideways scrolling", async () => {
      await page.goto(`${dev.base}/app/`);
      await heading("Sign in").waitFor();
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
      if (overflow > 0) throw new Error(`the page is ${overflow} px wider than the screen`);
      await shot("sign-in");
    });

    ok &&= await step("sign up by keyboard: labels, Enter submits", async () => {
      await page.getByRole("link", { name: "Create an account" }).click();
      await heading("Create your account").waitFor();
      await page.getByLabel("Email").fill(email);
      await page.getByLabel("Password").fill(PASSWORD);
      await shot("sign-up");
      // Signed in, without a brokerage account yet: the app asks for it, and learns there is none.
      expect(404, "/platform/accounts/me");
      await page.getByLabel("Password").press("Enter");
      await heading("Verify your email").waitFor();
      await shot("verify-email");
    });

    ok &&= await step("verify the email with the code the development banner shows (the one npm run dev printed)", async () => {
      const since = dev.lines.length;
      await page.getByRole("button", { name: "Send me a code" }).click();
      const printed = await codePrinted(dev, email, since);
      const banner = page.getByTestId("dev-code").locator("strong");
      await banner.filter({ hasText: /^\d{6}$/ }).waitFor();
      const shown = await banner.innerText();
      if (shown !== printed) throw new Error(`the banner shows ${shown}, npm run dev printed ${printed}`);
      await shot("verify-email-code");
      await page.getByLabel("Code from the email").fill(shown);
      await page.getByRole("button", { name: "Verify" }).click();
      await heading("Open your brokerage account").waitFor();
    });

    ok &&= await step("the KYC form shows each of the API's field errors beside its field", async () => {
      await page.getByLabel("First name").fill("Ada");
      await page.getByLabel("Last name").fill("Lovelace");
      await page.getByLabel("Date of birth").fill("1990-12-10");
      await page.getByLabel("Tax id", { exact: true }).fill("12-34");
      await page.getByLabel("Employment income").check();
      await page.getByLabel("Street address").fill("20 N San Mateo Dr");
      await page.getByLabel("City").fill("San Mateo");
      await page.getByLabel("ZIP code").fill("9440");
      await page.getByLabel("Phone").fill("+1 555 555 0100");
      await page.getByLabel("I accept the customer agreement").check();
      expect(400, "/platform/accounts");
      await page.getByRole("button", { name: "Open my account" }).click();
      const zip = page.getByLabel("ZIP code");
      await page.locator("#f-contact-postal_code-error").waitFor();
      const zipError = await page.locator("#f-contact-postal_code-error").innerText();
      const taxError = await page.locator("#f-identity-tax_id-error").innerText();
      if (!/ZIP code/.test(zipError)) throw new Error(`ZIP code's error: ${zipError}`);
      if (!/social security number/.test(taxError)) throw new Error(`tax id's error: ${taxError}`);
      if ((await zip.getAttribute("aria-invalid")) !== "true") throw new Error("the ZIP code is not marked invalid");
      if ((await page.getByLabel("First name").getAttribute("aria-invalid")) !== null) throw new Error("a valid field is marked invalid");
      await shot("kyc-field-errors");
    });

    ok &&= await step("the account opens and becomes ACTIVE on the page", async () => {
      await page.getByLabel("Tax id", { exact: true }).fill("666-55-4321");
      await page.getByLabel("ZIP code").fill("94401");
      await page.getByRole("button", { name: "Open my account" }).click();
      await heading("Your account is being opened").waitFor();
      await shot("account-pending");
      await heading("Portfolio").waitFor();
      await shot("portfolio-empty");
    });

    ok &&= await step("link a bank by its details; it is approved on the page", async () => {
      await page.getByRole("link", { name: "Money" }).click();
      await heading("Money").waitFor();
      await page.getByLabel("Account holder's name").waitFor();
      if ((await page.getByRole("button", { name: "Link with Plaid" }).count()) > 0) throw new Error("offers Plaid Link on a deployment without Plaid's settings");
      await page.getByLabel("Account holder's name").fill("Ada Lovelace");
      await page.getByLabel("Routing number").fill("121000358");
      await page.getByLabel("Account number").fill("123456789");
      await page.getByLabel("Nickname (optional)").fill("Checking");
      await page.getByRole("button", { name: "Link this bank account" }).click();
      await page.getByTestId("bank-link-status").filter({ hasText: "approved" }).waitFor();
    });

    ok &&= await step("deposit $1,000; the transfer shows complete", async () => {
      const deposit = form("Deposit");
      await deposit.getByLabel("Amount in US dollars").fill("1000.00");
      await deposit.getByRole("button", { name: "Deposit" }).click();
      await page.locator("[data-transfer-id]").filter({ hasText: "Deposit of $1,000.00" }).getByTestId("transfer-status").filter({ hasText: "complete" }).waitFor();
      await shot("money");
    });

    ok &&= await step("withdraw: without the password the step up's error is beside the field; with it, the withdrawal is made", async () => {
      const withdraw = form("Withdraw");
      await withdraw.getByLabel("Amount in US dollars").fill("100.00");
      expect(403, "/platform/accounts/me/transfers");
      await withdraw.getByRole("button", { name: "Withdraw" }).click();
      const error = page.locator("#f-withdraw-password-error");
      await error.waitFor();
      if (!/confirm it is you/.test(await error.innerText())) throw new Error(`password's error: ${await error.innerText()}`);
      await shot("withdraw-step-up");
      await withdraw.getByLabel("Your password, to confirm it is you").fill(PASSWORD);
      await withdraw.getByLabel("Your password, to confirm it is you").press("Enter");
      await page.locator("[data-transfer-id]").filter({ hasText: "Withdrawal of $100.00" }).waitFor();
    });

    ok &&= await step("find a stock by name, see its quote, then a market order that fills", async () => {
      await page.getByRole("link", { name: "Trade" }).click();
      await heading("Trade").waitFor();
      await page.getByLabel("Company or symbol").fill("apple");
      await page.getByLabel("Company or symbol").press("Enter");
      await page.getByRole("list", { name: "Stocks found" }).getByRole("button", { name: /^AAPL/ }).click();
      await page.getByTestId("quote").filter({ hasText: "AAPL last $" }).waitFor();
      const order = form("Place an order");
      if ((await order.getByLabel("Symbol").inputValue()) !== "AAPL") throw new Error("choosing the stock did not fill the order's symbol");
      await order.getByLabel("Shares").fill("2");
      await order.getByRole("button", { name: "Place order" }).click();
      await page.locator("[data-order-id]").filter({ hasText: "Buy 2 AAPL" }).getByTestId("order-status").filter({ hasText: "filled" }).waitFor();
    });

    ok &&= await step("a limit order rests, and fills on the page, live from the event stream, when the broker fills it", async () => {
      const order = form("Place an order");
      await order.getByLabel("Order type").selectOption("limit");
      await order.getByLabel("Shares").fill("1");
      await order.getByLabel("Limit price in US dollars").fill("150.00");
      await order.getByLabel("Good for").selectOption("gtc");
      await order.getByRole("button", { name: "Place order" }).click();
      const resting = page.locator("[data-order-id]").filter({ hasText: "Buy 1 AAPL · limit at $150.00" });
      await resting.getByTestId("order-status").filter({ hasText: "new" }).waitFor();
      // The market reaches the limit: the stand-in's control fills it, as the Broker would. The page
      // learns it from the live stream (the Broker's trade event, applied to D1, pushed to the user's
      // stream), not by asking for the orders again.
      // The stream is open (the page says "Live"). Every order list the page asks for from here on is
      // held unanswered until the page shows the fill, so it can only have learned it from the
      // stream. (Counting the lists asked for instead raced the page: a stream that has just opened
      // asks once for what changed meanwhile, in an effect that can run after "Live" is shown.)
      await page.getByTestId("live-status").filter({ hasText: /^Live$/ }).waitFor();
      let shown;
      const filledShown = new Promise((resolve) => (shown = resolve));
      const ORDER_LIST = /\/platform\/accounts\/me\/orders(\?|$)/;
      const hold = async (route) => {
        if (route.request().method() === "GET") await filledShown;
        await route.continue();
      };
      await page.route(ORDER_LIST, hold);
      try {
        await standinControl(dev, `/_standin/orders/${await resting.getAttribute("data-order-id")}/fill`);
        await resting.getByTestId("order-status").filter({ hasText: "filled" }).waitFor();
      } finally {
        shown();
        await page.unroute(ORDER_LIST, hold);
      }
    });

    ok &&= await step("a limit order far below the price rests, and is cancelled from the page", async () => {
      const order = form("Place an order");
      await order.getByLabel("Order type").selectOption("limit");
      await order.getByLabel("Shares").fill("1");
      await order.getByLabel("Limit price in US dollars").fill("1.00");
      await order.getByRole("button", { name: "Place order" }).click();
      const resting = page.locator("[data-order-id]").filter({ hasText: "Buy 1 AAPL · limit at $1.00" });
      await resting.getByRole("button", { name: /^Cancel/ }).waitFor();
      await shot("trade");
      await resting.getByRole("button", { name: /^Cancel/ }).click();
      await resting.getByTestId("order-status").filter({ hasText: /cancel/ }).waitFor();
    });

    ok &&= await step("the position shows on the portfolio", async () => {
      await page.getByRole("link", { name: "Portfolio" }).click();
      await page.getByTestId("position").filter({ hasText: "AAPL" }).waitFor();
      await shot("portfolio");
    });

    ok &&= await step("the activity lists the deposit, the withdrawal and the orders", async () => {
      await page.getByRole("link", { name: "Activity" }).click();
      await heading("Activity").waitFor();
      for (const text of ["Linked a bank account", "Transfer in", "Transfer out", "Order · buy 2 AAPL"]) await page.getByTestId("activity").filter({ hasText: text }).first().waitFor();
      await shot("activity");
    });

    ok &&= await step("the transactions list the fills", async () => {
      await page.getByTestId("transaction").filter({ hasText: "Trade · buy 2 AAPL" }).first().waitFor();
    });

    ok &&= await step("a statement is listed in Documents and downloads as a PDF", async () => {
      // A month's statement exists once a month has ended: the stand-in's control opens the account a month earlier.
      const { access_token: token } = await apiCall(dev.base, "/platform/login", { body: { email, password: PASSWORD } });
      const account = await apiCall(dev.base, "/platform/accounts/me", { token });
      await standinControl(dev, `/_standin/accounts/${account.id}/age`, { months: 1 });
      await page.getByRole("link", { name: "Documents" }).click();
      await heading("Documents").waitFor();
      const statement = page.getByTestId("document").filter({ hasText: "Account Statement" }).first();
      const [download] = await Promise.all([page.waitForEvent("download"), statement.getByRole("button", { name: /^Download/ }).click()]);
      const file = await download.path();
      const bytes = readFileSync(file);
      if (bytes.subarray(0, 5).toString() !== "%PDF-") throw new Error(`the download is not a PDF: ${bytes.subarray(0, 20).toString()}`);
      if (!/^Account Statement .+\.pdf$/.test(download.suggestedFilename())) throw new Error(`file name: ${download.suggestedFilename()}`);
      await shot("documents");
    });

    ok &&= await step("sign out: back on the sign-in screen, the tokens gone from the page", async () => {
      // cognito-local lacks GlobalSignOut (real Cognito has it): the API answers 502 there.
      expect(502, "/platform/logout");
      await page.getByRole("button", { name: "Sign out" }).click();
      await heading("Sign in").waitFor();
      await page.getByRole("status").filter({ hasText: "signed out" }).waitFor();
      const stored = await page.evaluate(() => JSON.stringify({ ...localStorage }) + JSON.stringify({ ...sessionStorage }) + document.cookie);
      if (/eyJ/.test(stored)) throw new Error("a token is in the page's storage");
      await shot("signed-out");
    });

    ok &&= await step("with TOTP on, sign in asks for the authenticator code, then opens the portfolio", async () => {
      // TOTP set up through the API, as the account-security screens of another app would.
      const { access_token: token } = await apiCall(dev.base, "/platform/login", { body: { email, password: PASSWORD } });
      const { secret } = await apiCall(dev.base, "/platform/mfa/totp/setup", { body: { password: PASSWORD }, token });
      await apiCall(dev.base, "/platform/mfa/totp/enable", { body: { code: totp(secret) }, token });
      await page.getByLabel("Email").fill(email);
      await page.getByLabel("Password").fill(PASSWORD);
      await page.getByRole("button", { name: "Sign in" }).click();
      await heading("Authenticator code").waitFor();
      await shot("sign-in-totp");
      const code = page.getByLabel("Code", { exact: true });
      await code.fill(totp(secret));
      await code.press("Enter");
      await heading("Portfolio").waitFor();
    });
    void ok;
  } finally {
    await context.close();
  }
  check("app: no console error, page error, failed request or unexpected error answer", problems.length === 0, problems.join(" | "));
  check("app: every error answer a step expected came", expected.length === 0, expected.join(", "));
}
