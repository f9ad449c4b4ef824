-- A step up's TOTP code is accepted once (issue 21): the same password and code cannot authorise two
-- requests. One row per user and code accepted, with the 30-second time step it was accepted in, kept
-- while Cognito could still accept that code. Never the code: an HMAC of the user and the code, with a
-- key derived from a server secret, so that a six-digit code cannot be found from it.
CREATE TABLE step_up_codes (
  sub TEXT NOT NULL,
  code_mac TEXT NOT NULL,
  time_step INTEGER NOT NULL,
  PRIMARY KEY (sub, code_mac)
);
