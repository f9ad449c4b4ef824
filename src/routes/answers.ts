/** Forgot-password and resend answer alike, whether or not the email has an account. */
export const CODE_SENT = { message: "If an account exists for this email, a code has been sent to it." } as const;
