// The development banner: under `npm run dev` only, the code the Cognito emulator would have emailed
// to the address, so that a developer needs no other terminal. DEV_INBOX_URL is set by the build
// under `npm run dev` (scripts/build-assets.mjs) and undefined otherwise, where the minifier drops
// this component's body: a deployed app has neither the banner nor the inbox's address.
import { type Child, useEffect, useState } from "hono/jsx/dom";

declare const DEV_INBOX_URL: string | undefined;

type Props = { email: string | null | undefined };

// Written inside the condition, so that a build without the inbox drops the component whole.
export const DevCode: (props: Props) => Child =
  DEV_INBOX_URL === undefined
    ? () => null
    : ({ email }: Props) => {
        const url = DEV_INBOX_URL!;
        const [code, setCode] = useState<string | null>(null);
        useEffect(() => {
          if (!email) return;
          let live = true;
          const read = () =>
            fetch(`${url}/codes/${encodeURIComponent(email)}`)
              .then((res) => res.json() as Promise<{ code: string | null }>)
              .then((answer) => live && setCode(answer.code))
              .catch(() => undefined);
          void read();
          // A local server beside `npm run dev`, not the API: no limit to stay within.
          const timer = setInterval(read, 1_000);
          return () => {
            live = false;
            clearInterval(timer);
          };
        }, [email]);
        return (
          <p class="dev-banner" role="note" data-testid="dev-code">
            Development: the last code the emulator would have emailed to {email} is <strong>{code ?? "none yet"}</strong>.
          </p>
        );
      };
