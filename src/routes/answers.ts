/** Forgot-password and resend answer alike, whether or not the email has an account. */
export const CODE_SENT = { message: "If an account exists for this email, a code has been sent to it." } as const;

export const EMAIL_CODE_SENT = { message: "A code has been sent to the email." } as const;

/** The same whether or not another account has the new address. */
export const NEW_EMAIL_CODE_SENT = { message: "A code has been sent to the new email; the current one is used until it is verified." } as const;
