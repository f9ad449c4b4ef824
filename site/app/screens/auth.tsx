// Sign up, sign in (with the authenticator step when TOTP is on), confirm a sign-up, verify the email.
import { useState } from "hono/jsx/dom";
import { api, send, startSession } from "../api";
import { DevCode } from "../dev";
import { Field, Form, Notice, text } from "../ui";

export function SignUp() {
  const [confirming, setConfirming] = useState<{ email: string; password: string; destination: string | null } | undefined>();
  if (confirming) return <ConfirmSignUp {...confirming} />;
  return (
    <section aria-labelledby="signup-title">
      <h1 id="signup-title">Create your account</h1>
      <Form
        label="Sign up"
        submit="Sign up"
        onSend={async (values) => {
          const [email, password] = [text(values, "email"), String(values.get("password") ?? "")];
          const answer = await send(api.platform.signup.$post({ json: { email, password } }));
          if ("code_delivery" in answer) setConfirming({ email, password, destination: answer.code_delivery.destination });
          else startSession(answer);
        }}
      >
        <Field name="email" label="Email" type="email" autocomplete="email" required />
        <Field name="password" label="Password" type="password" autocomplete="new-password" required hint="At least 8 characters, with upper and lower case letters, a digit and a symbol." />
      </Form>
      <p>
        Have an account? <a href="#/signin">Sign in</a>
      </p>
    </section>
  );
}

/** A deployment with AUTO_CONFIRM=false mails a code before the first sign-in. */
function ConfirmSignUp({ email, password, destination }: { email: string; password: string; destination: string | null }) {
  return (
    <section aria-labelledby="confirm-title">
      <h1 id="confirm-title">Confirm your email</h1>
      <p>We sent a code to {destination ?? email}.</p>
      <DevCode email={email} />
      <Form
        label="Confirm sign-up"
        submit="Confirm"
        onSend={async (values) => {
          await send(api.platform.confirm.$post({ json: { email, code: text(values, "code") } }));
          const answer = await send(api.platform.login.$post({ json: { email, password } }));
          if ("access_token" in answer) startSession(answer);
        }}
      >
        <Field name="code" label="Code" inputmode="numeric" autocomplete="one-time-code" required />
      </Form>
    </section>
  );
}

export function SignIn({ notice }: { notice?: string }) {
  const [challenge, setChallenge] = useState<{ email: string; session: string } | undefined>();
  if (challenge) {
    return (
      <section aria-labelledby="totp-title">
        <h1 id="totp-title">Authenticator code</h1>
        <p>Enter the 6-digit code your authenticator app shows for this account.</p>
        <Form
          label="Authenticator code"
          submit="Sign in"
          onSend={async (values) => {
            startSession(await send(api.platform.login.mfa.$post({ json: { ...challenge, code: text(values, "code") } })));
          }}
        >
          <Field name="code" label="Code" inputmode="numeric" autocomplete="one-time-code" pattern="[0-9]{6}" required />
        </Form>
      </section>
    );
  }
  return (
    <section aria-labelledby="signin-title">
      <h1 id="signin-title">Sign in</h1>
      {notice && <Notice>{notice}</Notice>}
      <Form
        label="Sign in"
        submit="Sign in"
        onSend={async (values) => {
          const email = text(values, "email");
          const answer = await send(api.platform.login.$post({ json: { email, password: String(values.get("password") ?? "") } }));
          if ("session" in answer) setChallenge({ email, session: answer.session });
          else startSession(answer);
        }}
      >
        <Field name="email" label="Email" type="email" autocomplete="username" required />
        <Field name="password" label="Password" type="password" autocomplete="current-password" required />
      </Form>
      <p>
        New here? <a href="#/signup">Create an account</a>
      </p>
    </section>
  );
}

/** The Broker API writes to the account's email, so opening an account needs it verified. */
export function VerifyEmail({ email, onVerified }: { email: string | null; onVerified: () => void }) {
  const [sent, setSent] = useState(false);
  return (
    <section aria-labelledby="verify-title">
      <h1 id="verify-title">Verify your email</h1>
      <p>Your brokerage statements go to {email ?? "your email"}, so we check it is yours first.</p>
      {sent && <DevCode email={email} />}
      {!sent ? (
        <Form
          label="Send a code"
          submit="Send me a code"
          onSend={async () => {
            await send(api.platform.email.verify.send.$post());
            setSent(true);
          }}
        >
          {null}
        </Form>
      ) : (
        <Form
          label="Verify the email"
          submit="Verify"
          onSend={async (values) => {
            await send(api.platform.email.verify.$post({ json: { code: text(values, "code") } }));
            onVerified();
          }}
        >
          <Notice kind="ok">We sent a code to {email}.</Notice>
          <Field name="code" label="Code from the email" inputmode="numeric" autocomplete="one-time-code" required />
        </Form>
      )}
    </section>
  );
}
