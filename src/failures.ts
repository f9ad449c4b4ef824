/**
 * Every way a request can fail, each defined once: its code, the HTTP status and title of the RFC 9457
 * problem it answers with, the default detail, and the text of its problem page (/problems/<code>):
 * `when` it happens and what a client should do (`action`). Any layer raises one by code, as jose's
 * errors carry a `code`: `throw new Failure("invalid_code")`. Only middleware/error-handler.ts turns
 * a Failure into a response; src/docs builds the problem pages and OpenAPI examples from this catalog.
 * No call site names a status, so two answers that must look identical cannot drift apart.
 */

/** A field-level validation error, listed in a 400 problem's `errors`. */
export interface FieldError {
  field: string;
  message: string;
}

/**
 * Whether this build carries the problem pages' text (`page`): true where the pages are built
 * (scripts/build-assets.mjs, and the tests), false in the Worker (wrangler.toml [define]), which never
 * sends it: its minifier then folds each `PROBLEM_PAGE_TEXT && {…}` to `false`, about 4 KiB gzip.
 */
declare const PROBLEM_PAGE_TEXT: boolean;

interface FailureDefinition {
  status: 400 | 401 | 403 | 404 | 405 | 409 | 413 | 415 | 422 | 429 | 500 | 502 | 503 | 504;
  title: string;
  detail: string;
  /** The problem page's text: when it happens, what a client should do; `false` in the Worker's build. */
  page: false | { when: string; action: string };
}

export const FAILURES = {
  validation_failed: {
    status: 400,
    title: "Request validation failed",
    detail: "The request has invalid or missing fields.",
    page: PROBLEM_PAGE_TEXT && {
      when: "A field of the body or query is missing, of the wrong type or out of range. `errors` lists each field with its message.",
      action: "Fix the fields named in `errors` and send the request again. Do not retry unchanged.",
    },
  },
  malformed_json: {
    status: 400,
    title: "Malformed JSON body",
    detail: "The body is not valid JSON.",
    page: PROBLEM_PAGE_TEXT && {
      when: "The body is not well-formed JSON.",
      action: "Send a valid JSON document (check quoting and trailing commas).",
    },
  },
  unsupported_media_type: {
    status: 415,
    title: "Unsupported media type",
    detail: "Send the body as application/json.",
    page: PROBLEM_PAGE_TEXT && {
      when: "The request has a body whose Content-Type is not JSON. The answer's Accept-Post header names what is accepted.",
      action: "Send the body as JSON with `Content-Type: application/json`.",
    },
  },
  payload_too_large: {
    status: 413,
    title: "Payload too large",
    detail: "The body must be at most 16384 bytes.",
    page: PROBLEM_PAGE_TEXT && {
      when: "The body is larger than 16 KiB.",
      action: "Send a smaller body: no request of this API needs more.",
    },
  },
  not_found: {
    status: 404,
    title: "Not found",
    detail: "There is no such route.",
    page: PROBLEM_PAGE_TEXT && {
      when: "No route has this path, or the problem type asked for does not exist.",
      action: "Check the path against /openapi.json.",
    },
  },
  method_not_allowed: {
    status: 405,
    title: "Method not allowed",
    detail: "The route does not allow this method.",
    page: PROBLEM_PAGE_TEXT && {
      when: "The path exists but not with this method. The Allow header lists the methods it takes.",
      action: "Use one of the methods in the Allow header.",
    },
  },
  invalid_credentials: {
    status: 401,
    title: "Invalid credentials",
    detail: "The email or password is incorrect.",
    page: PROBLEM_PAGE_TEXT && {
      when: "Log-in with a wrong password or an email that has no account: both answer the same, so accounts cannot be discovered.",
      action: "Ask the user to check the email and password. After repeated failures, offer a password reset.",
    },
  },
  invalid_token: {
    status: 401,
    title: "Invalid token",
    detail: "Send an access token in the Authorization header: Bearer <token>.",
    page: PROBLEM_PAGE_TEXT && {
      when: "A protected route was called without `Authorization: Bearer <access token>`, or with a token that is malformed, expired, not an access token, not from this user pool, or from a session that was signed out. The WWW-Authenticate header says which check failed.",
      action: "Get a new access token with POST /platform/refresh (or sign in again) and retry with it.",
    },
  },
  invalid_ticket: {
    status: 401,
    title: "Invalid ticket",
    detail: "The ticket is unknown, used or expired; get a new one from POST /platform/accounts/me/events/ticket.",
    page: PROBLEM_PAGE_TEXT && {
      when: "GET /platform/accounts/me/events was called with a `ticket` that was never given, was used already (a ticket opens one stream), or is more than 60 seconds old. The three are answered alike.",
      action: "Get a new ticket with POST /platform/accounts/me/events/ticket and open the stream with it within 60 seconds. After a disconnect, pass the last event's id as `last_event_id` with the new ticket.",
    },
  },
  invalid_refresh_token: {
    status: 401,
    title: "Invalid refresh token",
    detail: "The refresh token is invalid, expired or revoked; sign in again.",
    page: PROBLEM_PAGE_TEXT && {
      when: "The refresh token is malformed, expired or revoked (for example after log-out).",
      action: "Sign in again with POST /platform/login.",
    },
  },
  account_exists: {
    status: 409,
    title: "Account already exists",
    detail: "An account with this email already exists.",
    page: PROBLEM_PAGE_TEXT && {
      when: "Sign-up with an email that already has an account (or a confirmation that would reuse another account's email).",
      action: "Log in instead, or reset the password if it is forgotten. Signing up again with the same email and password completes a sign-up that stopped half-way.",
    },
  },
  account_not_confirmed: {
    status: 403,
    title: "Account not confirmed",
    detail: "The account's email address has not been confirmed.",
    page: PROBLEM_PAGE_TEXT && {
      when: "The account exists but its email address has not been confirmed yet.",
      action: "Confirm it with the emailed code (POST /platform/confirm); POST /platform/confirm/resend sends a new code.",
    },
  },
  password_reset_required: {
    status: 403,
    title: "Password reset required",
    detail: "The password must be reset before signing in.",
    page: PROBLEM_PAGE_TEXT && {
      when: "The user pool requires this user to set a new password before signing in.",
      action: "Start a reset with POST /platform/password/forgot, then POST /platform/password/reset with the emailed code.",
    },
  },
  challenge_required: {
    status: 403,
    title: "Additional sign-in step required",
    detail: "Sign-in needs a further step that this API does not offer.",
    page: PROBLEM_PAGE_TEXT && {
      when: "The user pool asks for another sign-in step (such as multi-factor authentication) that this API does not offer.",
      action: "The account cannot sign in through this API; the operator must change the pool's settings for it.",
    },
  },
  forbidden: {
    status: 403,
    title: "Forbidden",
    detail: "The identity provider refused this request.",
    page: PROBLEM_PAGE_TEXT && {
      when: "Cognito refused the request, for example because a web application firewall blocked it.",
      action: "Do not retry at once; contact the operator if it persists.",
    },
  },
  recent_sign_in_required: {
    status: 403,
    title: "Recent sign-in required",
    detail: "Sign in again to make this change.",
    page: PROBLEM_PAGE_TEXT && {
      when: "A change that could take the account over without the password (moving its email) was asked for with a token whose session began with a sign-in more than 15 minutes ago; refreshing a token keeps that time.",
      action: "Sign in again (password, and the TOTP code when it is on), then retry the change with the new access token.",
    },
  },
  weak_password: {
    status: 400,
    title: "Password does not meet the policy",
    detail: "The password does not meet the user pool's password policy.",
    page: PROBLEM_PAGE_TEXT && {
      when: "The new password does not meet the user pool's policy (length, character classes) or was used recently. `detail` gives the policy's message.",
      action: "Ask the user for a password that meets the policy in `detail`.",
    },
  },
  invalid_code: {
    status: 400,
    title: "Invalid code",
    detail: "The code is not the right one for this request.",
    page: PROBLEM_PAGE_TEXT && {
      when: "The code is wrong, or belongs to no pending request: the confirmation code (POST /platform/confirm), the reset code (POST /platform/password/reset), the first authenticator code that turns TOTP on (POST /platform/mfa/totp/enable, also when no set-up is pending), or the email verification code (POST /platform/email/verify). Reset and confirmation answer it identically for an unknown email, an unconfirmed and a confirmed account.",
      action: "Ask the user to check the code from the latest email (for TOTP enable, the code the authenticator app shows now) and send it again; ask for a new one if needed (confirm/resend, password/forgot, email/verify/send, mfa/totp/setup).",
    },
  },
  invalid_mfa_code: {
    status: 401,
    title: "Invalid MFA code",
    detail: "The authenticator code is not valid; enter the current one.",
    page: PROBLEM_PAGE_TEXT && {
      when: "The code from the authenticator app is wrong or too old: on POST /platform/login/mfa, or with the password in a step up. A step up's code is accepted once: a code that already confirmed a request is refused (the detail says so). A 401, unlike `invalid_code`'s 400, because it is a sign-in credential.",
      action: "Ask for the code the app shows now and send it again; on log-in the same `session` can be retried while Cognito allows (about three minutes).",
    },
  },
  mfa_session_expired: {
    status: 401,
    title: "MFA session expired",
    detail: "The sign-in session has expired or was used; log in again.",
    page: PROBLEM_PAGE_TEXT && {
      when: "POST /platform/login/mfa with a `session` that has expired (Cognito's default is three minutes), was already used, was refused after too many wrong codes, or does not belong to the email.",
      action: "Log in again with POST /platform/login for a new session, then send the code with it.",
    },
  },
  totp_already_enabled: {
    status: 409,
    title: "TOTP already enabled",
    detail: "TOTP is already on for this account; turn it off first (DELETE /platform/mfa/totp, with the password and a current code).",
    page: PROBLEM_PAGE_TEXT && {
      when: "POST /platform/mfa/totp/setup for an account whose TOTP is on. No new secret is made: an authenticator app can only be replaced by the one who can turn the current one off.",
      action: "Turn TOTP off with DELETE /platform/mfa/totp (password and a current code), then set it up again. A user who lost the authenticator asks the operator (docs/auth.md, \"Lost authenticator\").",
    },
  },
  email_not_verified: {
    status: 403,
    title: "Email not verified",
    detail: "Verify the account's email address first.",
    page: PROBLEM_PAGE_TEXT && {
      when: "A route that declares `verifiedEmail` (one that moves money: opening a brokerage account, linking a bank, a transfer, an order, closing a position) was called by a user whose email address is not verified.",
      action: "Verify the email: POST /platform/email/verify/send, then POST /platform/email/verify with the emailed code; retry after that.",
    },
  },
  expired_code: {
    status: 400,
    title: "Expired code",
    detail: "The code has expired; request a new one.",
    page: PROBLEM_PAGE_TEXT && {
      when: "The confirmation or reset code has expired.",
      action: "Request a new code (POST /platform/confirm/resend or POST /platform/password/forgot) and use it.",
    },
  },
  idempotency_key_required: {
    status: 400,
    title: "Idempotency-Key required",
    detail: "Send an Idempotency-Key header of 1 to 255 visible characters (a UUID, say) with this request.",
    page: PROBLEM_PAGE_TEXT && {
      when: "A POST that moves money or creates a bank link, transfer or order came without an `Idempotency-Key` header, or with one that is empty, longer than 255 characters, or not visible ASCII.",
      action: "Make a new key (a UUID) for each new operation and send it as `Idempotency-Key`; send the same key again only to retry that operation.",
    },
  },
  idempotency_key_reused: {
    status: 422,
    title: "Idempotency-Key reused",
    detail: "This Idempotency-Key was used for a different request.",
    page: PROBLEM_PAGE_TEXT && {
      when: "The `Idempotency-Key` was sent earlier (within 24 hours) with another body or to another route. For a transfer the broker keeps the key for good: a transfer key sent again with another body is refused even later. Nothing was done for this request.",
      action: "Use a new key for a new operation. To retry the earlier one, send its body unchanged.",
    },
  },
  request_in_progress: {
    status: 409,
    title: "Request in progress",
    detail: "A request with this Idempotency-Key is still being processed; retry shortly.",
    page: PROBLEM_PAGE_TEXT && {
      when: "Another request with the same `Idempotency-Key` has not finished yet. Nothing was done for this one.",
      action: "Retry with the same key and body after the Retry-After header's delay: the finished request's answer is then replayed.",
    },
  },
  step_up_required: {
    status: 403,
    title: "Step up required",
    detail: "Confirm it is you with the account's password (and the authenticator code when TOTP is on).",
    page: PROBLEM_PAGE_TEXT && {
      when: "A stepped-up request came without the password (`password`, or `current_password` for a password change), or without the TOTP `code` of an account that has TOTP on. Stepped up: a withdrawal, deleting a bank link, changing the brokerage account's contact, closing it, and the account's security (TOTP set-up and removal, email change, password change, deleting the login). `errors` names what is missing. Nothing was done.",
      action: "Ask the user for what `errors` names and send the request again with it (and the same Idempotency-Key, where there is one).",
    },
  },
  brokerage_account_not_active: {
    status: 409,
    title: "Brokerage account not active",
    detail: "The brokerage account is not active yet.",
    page: PROBLEM_PAGE_TEXT && {
      when: "Funding or trading was asked of an account whose status is not ACTIVE (for example SUBMITTED while its checks run, ACTION_REQUIRED, or ACCOUNT_CLOSED). `detail` names the status.",
      action: "Wait for the account to become ACTIVE (GET /platform/accounts/me shows the status), or resolve what the status asks for.",
    },
  },
  bank_link_not_found: {
    status: 404,
    title: "No such bank link",
    detail: "The account has no bank link with this id.",
    page: PROBLEM_PAGE_TEXT && {
      when: "The bank link id is unknown, or belongs to another account: both answer alike.",
      action: "List the account's links with GET /platform/accounts/me/bank-links and use one of their ids.",
    },
  },
  bank_link_rejected: {
    status: 422,
    title: "Bank link refused",
    detail: "The bank account could not be linked.",
    page: PROBLEM_PAGE_TEXT && {
      when: "The broker refused the bank details, or Plaid refused the public token or account (expired, used already, or not of this Link session).",
      action: "Check the details, or run Plaid Link again for a new public token (they are single use and last 30 minutes).",
    },
  },
  bank_link_exists: {
    status: 409,
    title: "Bank link exists",
    detail: "The account already has an active bank link.",
    page: PROBLEM_PAGE_TEXT && {
      when: "The broker allows one active ACH relationship per account, and this account has one.",
      action: "Use the existing link (GET /platform/accounts/me/bank-links), or delete it first.",
    },
  },
  transfer_not_found: {
    status: 404,
    title: "No such transfer",
    detail: "The account has no transfer with this id.",
    page: PROBLEM_PAGE_TEXT && {
      when: "The transfer id is unknown, or belongs to another account: both answer alike.",
      action: "List the account's transfers with GET /platform/accounts/me/transfers.",
    },
  },
  transfer_not_cancellable: {
    status: 409,
    title: "Transfer cannot be cancelled",
    detail: "The transfer can no longer be cancelled.",
    page: PROBLEM_PAGE_TEXT && {
      when: "The transfer has gone too far (sent to clearing, completed) or has already ended.",
      action: "Nothing to retry. A completed deposit can be withdrawn with a new transfer.",
    },
  },
  insufficient_funds: {
    status: 422,
    title: "Insufficient funds",
    detail: "The amount is more than the account's withdrawable cash.",
    page: PROBLEM_PAGE_TEXT && {
      when: "A withdrawal larger than the trading account's `cash_withdrawable`, or one the broker refused for lack of funds. No money moved.",
      action: "Withdraw at most `cash_withdrawable` (GET /platform/accounts/me/trading).",
    },
  },
  transfer_rejected: {
    status: 422,
    title: "Transfer refused",
    detail: "The broker refused the transfer.",
    page: PROBLEM_PAGE_TEXT && {
      when: "The broker refused the transfer for a reason other than funds: deposits not permitted for the account, an amount below its minimum, a bank link not yet approved. No money moved.",
      action: "Check the bank link's status (GET /platform/accounts/me/bank-links) and the amount, then try again with a new Idempotency-Key.",
    },
  },
  order_not_found: {
    status: 404,
    title: "No such order",
    detail: "The account has no order with this id.",
    page: PROBLEM_PAGE_TEXT && {
      when: "The order id is unknown, or belongs to another account: both answer alike.",
      action: "List the account's orders with GET /platform/accounts/me/orders?status=all.",
    },
  },
  order_rejected: {
    status: 422,
    title: "Order rejected",
    detail: "The broker rejected the order.",
    page: PROBLEM_PAGE_TEXT && {
      when: "The broker refused the order: `detail` says why where the broker said so in known terms (insufficient buying power, not enough shares, an asset that is not tradable or not fractionable, a market that is closed for the order's time in force).",
      action: "Change the order as `detail` says (a smaller quantity, another asset, a whole quantity) and place it with a new Idempotency-Key.",
    },
  },
  order_not_cancellable: {
    status: 409,
    title: "Order cannot be cancelled",
    detail: "The order can no longer be cancelled.",
    page: PROBLEM_PAGE_TEXT && {
      when: "The order is filled, cancelled, expired or otherwise done.",
      action: "Nothing to retry: GET the order to see how it ended.",
    },
  },
  document_not_found: {
    status: 404,
    title: "No such document",
    detail: "The account has no document with this id.",
    page: PROBLEM_PAGE_TEXT && {
      when: "The document id is unknown, or belongs to another account: both answer alike.",
      action: "List the account's documents with GET /platform/accounts/me/documents.",
    },
  },
  documents_not_requested: {
    status: 409,
    title: "No documents requested",
    detail: "The brokerage account is not waiting for documents.",
    page: PROBLEM_PAGE_TEXT && {
      when: "A KYC document was uploaded while the account's status is not ACTION_REQUIRED: the broker asks for documents only then. `detail` names the status. Nothing was sent.",
      action: "Upload only when GET /platform/accounts/me shows ACTION_REQUIRED, the documents its KYC results ask for.",
    },
  },
  position_not_found: {
    status: 404,
    title: "No such position",
    detail: "The account holds no position in this symbol.",
    page: PROBLEM_PAGE_TEXT && {
      when: "The account has no open position in the symbol.",
      action: "List the account's positions with GET /platform/accounts/me/positions.",
    },
  },
  invalid_request: {
    status: 400,
    title: "Invalid request",
    detail: "The identity provider rejected a parameter of this request.",
    page: PROBLEM_PAGE_TEXT && {
      when: "Cognito rejected a parameter of the request, or the user pool's own validation rejected it.",
      action: "Check the input; retrying unchanged will fail again.",
    },
  },
  brokerage_account_exists: {
    status: 409,
    title: "Brokerage account exists",
    detail: "This user already has a brokerage account.",
    page: PROBLEM_PAGE_TEXT && {
      when: "POST /platform/accounts by a user who already has a brokerage account, or while another request of theirs is opening one (a form sent twice), or once their login is being deleted. A user has at most one.",
      action: "Read the account with GET /platform/accounts/me; do not retry the opening.",
    },
  },
  brokerage_account_not_found: {
    status: 404,
    title: "No brokerage account",
    detail: "This user has no brokerage account.",
    page: PROBLEM_PAGE_TEXT && {
      when: "A route of /platform/accounts/me was called by a user who has not opened a brokerage account, or whose opening has not completed.",
      action: "Open one with POST /platform/accounts, which also completes an opening that was interrupted.",
    },
  },
  account_details_rejected: {
    status: 422,
    title: "Account details rejected",
    detail: "The broker refused the account's details.",
    page: PROBLEM_PAGE_TEXT && {
      when: "The Broker API refused the details of an opening or a contact change although they passed this API's checks. `errors` names the field where the Broker API names one; the submitted value is never repeated.",
      action: "Ask the user to check the named fields (or all of them, when none is named) and send the request again.",
    },
  },
  brokerage_account_open: {
    status: 409,
    title: "Brokerage account still open",
    detail: "Close the brokerage account before deleting the login.",
    page: PROBLEM_PAGE_TEXT && {
      when: "DELETE /platform/me (checked after the password) by a user whose brokerage account is not closed, or whose opening is in flight or ended without an answer: a broker must keep its records, and the login must not vanish while money is held.",
      action: "Close the brokerage account with POST /platform/accounts/me/close, then delete the login.",
    },
  },
  brokerage_account_not_closable: {
    status: 409,
    title: "Brokerage account cannot be closed",
    detail: "The brokerage account cannot be closed while it holds something or is owed something.",
    page: PROBLEM_PAGE_TEXT && {
      when: "POST /platform/accounts/me/close of an account that still holds positions, has open orders, holds cash, or has a deposit or withdrawal that is not final (anything but COMPLETE, CANCELED, REJECTED, RETURNED or EXPIRED); `detail` says which of these remain. Also when the Broker API itself refused to close it. Nothing was closed.",
      action: "Sell the positions, cancel the open orders, wait for the transfers to finish (or cancel them) and withdraw the cash, then close the account again.",
    },
  },
  asset_not_found: {
    status: 404,
    title: "Asset not found",
    detail: "The broker lists no asset with this symbol.",
    page: PROBLEM_PAGE_TEXT && {
      when: "The symbol is not one of the assets the broker lists (US equities, synced daily).",
      action: "Check the symbol, or search for it with GET /platform/assets?q=.",
    },
  },
  assets_loading: {
    status: 503,
    title: "Asset list loading",
    detail: "The asset list is being loaded for the first time; retry in a few seconds.",
    page: PROBLEM_PAGE_TEXT && {
      when: "The deployment's asset list has never been loaded, and another request is loading it now (one load at a time). Only right after a new deployment.",
      action: "Retry after the seconds in Retry-After.",
    },
  },
  watchlist_not_found: {
    status: 404,
    title: "Watchlist not found",
    detail: "The user has no watchlist with this id.",
    page: PROBLEM_PAGE_TEXT && {
      when: "No watchlist of the signed-in user has this id (another user's answers the same).",
      action: "List the watchlists with GET /platform/accounts/me/watchlists and use one of their ids.",
    },
  },
  watchlist_name_taken: {
    status: 409,
    title: "Watchlist name taken",
    detail: "The user has a watchlist of this name already.",
    page: PROBLEM_PAGE_TEXT && {
      when: "Another of the user's watchlists has this name (names are compared ignoring case).",
      action: "Choose another name, or use the watchlist that has it.",
    },
  },
  watchlist_limit: {
    status: 409,
    title: "Watchlist limit reached",
    detail: "A user has at most 20 watchlists, and a watchlist at most 100 symbols.",
    page: PROBLEM_PAGE_TEXT && {
      when: "Creating one more watchlist than 20, or adding a symbol to a watchlist that holds 100.",
      action: "Delete a watchlist, or remove a symbol, first.",
    },
  },
  market_data_not_entitled: {
    status: 503,
    title: "Market data not available",
    detail: "This service's market data subscription does not cover this request.",
    page: PROBLEM_PAGE_TEXT && {
      when: "The Market Data API refused the data as not covered by the operator's subscription (its 403), e.g. the sip feed on a plan with only iex, or recent data without real-time rights.",
      action: "Nothing a client can do: the operator sets MARKET_DATA_FEED to a feed the plan covers, or upgrades the plan. Retry later.",
    },
  },
  rate_limited: {
    status: 429,
    title: "Too many requests",
    detail: "Too many requests; retry later.",
    page: PROBLEM_PAGE_TEXT && {
      when: "Too many requests: from this address to this route, for this account, or Cognito or the Broker API is throttling.",
      action: "Wait the number of seconds in the Retry-After header, then retry.",
    },
  },
  too_many_streams: {
    status: 429,
    title: "Too many open streams",
    detail: "This account has 5 live streams open already; close one first.",
    page: PROBLEM_PAGE_TEXT && {
      when: "GET /platform/accounts/me/events while the account already has 5 live streams open (across all its devices and tabs). A stream whose client went away counts until the server next writes to it: the next change or heartbeat, within 15 seconds.",
      action: "Close a stream the app no longer reads (EventSource.close(), or abort the fetch), then open the new one. One stream per app is enough: it carries every change of the account.",
    },
  },
  upstream_error: {
    status: 502,
    title: "Upstream error",
    detail: "A service this API depends on failed to complete the request.",
    page: PROBLEM_PAGE_TEXT && {
      when: "Cognito or the Broker API failed, or answered something this API cannot use. `detail` names which.",
      action: "Retry later with backoff; report the `request_id` if it persists.",
    },
  },
  sessions_not_ended: {
    status: 502,
    title: "Sessions not ended",
    detail: "The password was changed, but earlier sessions could not be ended; sign in and log out to end them.",
    page: PROBLEM_PAGE_TEXT && {
      when: "A password reset or change set the new password, but signing the account out everywhere failed, so refresh tokens from before it may still work.",
      action: "The new password works: sign in with it, then call POST /platform/logout to end every session. Report the `request_id` if it persists.",
    },
  },
  upstream_unavailable: {
    status: 503,
    title: "Upstream unavailable",
    detail: "A service this API depends on cannot be reached.",
    page: PROBLEM_PAGE_TEXT && {
      when: "Cognito or the Broker API cannot be reached. `detail` names which.",
      action: "Retry after the Retry-After header's delay.",
    },
  },
  upstream_timeout: {
    status: 504,
    title: "Upstream timed out",
    detail: "A service this API depends on did not answer in time.",
    page: PROBLEM_PAGE_TEXT && {
      when: "Cognito or the Broker API did not answer in time. `detail` names which.",
      action: "Retry with backoff. A sign-up can safely be repeated with the same email and password.",
    },
  },
  jwks_unavailable: {
    status: 503,
    title: "Signing keys unavailable",
    detail: "The keys to check the token cannot be fetched; retry later.",
    page: PROBLEM_PAGE_TEXT && {
      when: "The user pool's signing keys, needed to check the access token, cannot be fetched and none are cached.",
      action: "Retry after the Retry-After header's delay.",
    },
  },
  not_configured: {
    status: 503,
    title: "Service not configured",
    detail: "The service is not configured.",
    page: PROBLEM_PAGE_TEXT && {
      when: "The deployment lacks required settings; `detail` names the variables (never their values).",
      action: "Nothing a client can do: the operator must set the named variables. Retry later.",
    },
  },
  misconfigured: {
    status: 503,
    title: "Service misconfigured",
    detail: "The service is misconfigured; the operator has been told.",
    page: PROBLEM_PAGE_TEXT && {
      when: "Cognito or the Broker API rejected this API's own setup (app client, secret, IAM key, enabled flows, Broker API key), or a rate-limit binding is missing from the deployment. The detail is in the log only.",
      action: "Nothing a client can do: report the `request_id` to the operator.",
    },
  },
  internal_error: {
    status: 500,
    title: "Internal server error",
    detail: "The server could not complete the request.",
    page: PROBLEM_PAGE_TEXT && {
      when: "An unexpected fault in this API.",
      action: "Retry later; report the `request_id` if it persists.",
    },
  },
} as const satisfies Record<string, FailureDefinition>;

export type FailureCode = keyof typeof FAILURES;

export interface FailureOptions {
  /** Replaces the catalog's default detail: a fixed sentence, never a submitted value or an upstream message. */
  detail?: string;
  errors?: FieldError[];
  headers?: Record<string, string>;
  /** Why it happened, for the log only: never sent to the client. */
  cause?: unknown;
}

/** A failure of the catalog, raised by code from any layer. */
export class Failure extends Error {
  override name = "Failure";
  readonly code: FailureCode;
  readonly detail: string;
  readonly errors?: FieldError[];
  readonly headers: Record<string, string>;

  constructor(code: FailureCode, options: FailureOptions = {}) {
    const detail = options.detail ?? FAILURES[code].detail;
    super(`${code}: ${detail}`, { cause: options.cause });
    this.code = code;
    this.detail = detail;
    this.errors = options.errors;
    this.headers = options.headers ?? {};
  }
}

export function isFailure(error: unknown, ...codes: FailureCode[]): error is Failure {
  return error instanceof Failure && (codes.length === 0 || codes.includes(error.code));
}
