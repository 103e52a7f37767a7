/**
 * Why sending or a connection check failed, as a short code an admin page can act on. Each comes
 * with a sentence saying what to change (see `EmailFailure`).
 *
 * @public
 */
export type EmailFailureCode =
  | 'auth-failed'
  | 'auth-not-offered'
  | 'tls-mismatch'
  | 'tls-required'
  | 'certificate-invalid'
  | 'connection-refused'
  | 'host-not-found'
  | 'destination-not-allowed'
  | 'timeout'
  | 'sender-rejected'
  | 'recipient-rejected'
  | 'relay-denied'
  | 'message-too-large'
  | 'secret-invalid'
  | 'secret-expired'
  | 'certificate-not-registered'
  | 'certificate-expired'
  | 'certificate-key-mismatch'
  | 'app-not-found'
  | 'tenant-not-found'
  | 'permission-missing'
  | 'mailbox-not-found'
  | 'throttled'
  | 'provider-unavailable'
  | 'provider-error';

/**
 * A classified failure of a provider: what went wrong, what to change, whether trying again later
 * may help, and the provider's own reply with any credential removed.
 *
 * @public
 */
export type EmailFailure = {
  code: EmailFailureCode;
  message: string;
  /** The values the sentence for `code` is made from, so a page can say it in its language. */
  params?: Record<string, string | number>;
  transient: boolean;
  providerReply?: string;
  retryAfterMs?: number;
};

/**
 * The answer of `POST /test-email` when the provider accepted the message.
 *
 * @public
 */
export type TestEmailResult = {
  ok: true;
  messageId: string;
  provider: 'smtp' | 'microsoft365';
  durationMs: number;
};

/**
 * One step of a connection check (`POST /verify`).
 *
 * @public
 */
export type VerifyStep = {
  name: string;
  ok: boolean;
  /**
   * Present when the step did not run because the settings do not need it, such as the sign-in
   * of an SMTP server with authentication off; `ok` is then true.
   */
  skipped?: true;
  durationMs: number;
  /** What the step found, for example the certificate's subject or the AUTH mechanisms. */
  detail?: string;
  failure?: EmailFailure;
};

/**
 * The answer of `POST /verify`: every step that ran, in order; it stops at the first failure.
 *
 * @public
 */
export type VerifyResult = {
  ok: boolean;
  provider: 'smtp' | 'microsoft365';
  steps: VerifyStep[];
};
