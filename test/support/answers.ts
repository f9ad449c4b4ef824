// Answers that must be the same whatever the account: written once, compared whole.

/** A wrong code, on reset or confirmation, for any account or none (request_id removed). */
export const INVALID_CODE = {
  type: "/problems/invalid-code",
  title: "Invalid code",
  status: 400,
  detail: "The code is not the right one for this request.",
  code: "invalid_code",
};
