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
 * A Microsoft service that a request went to, as failure params name it: the Microsoft Entra
 * token endpoint, Microsoft Graph, or the upload session of a large attachment.
 *
 * @public
 */
export type MicrosoftServiceName = 'entra' | 'graph' | 'upload-session';

/**
 * The params of each failure code, which is what a page needs to say the failure's sentence in
 * its own language. Where a code has several sentences, `reason` says which. A failure without
 * params, or with a `reason` a page does not know, is shown with the backend's English `message`.
 *
 * Params name only what the admin typed or the servers answered in the open: host names, ports,
 * addresses, reply codes, AADSTS numbers, certificate subjects and thumbprints. A reply code is
 * `reply`, an SMTP reply such as `535 5.7.8` or Graph's status and error code such as
 * `413 ErrorMessageSizeExceeded`. Never a credential, and never a provider's free text, which
 * stays in `providerReply`.
 *
 * On the wire, params are a `Record<string, string | number>` as {@link EmailFailure} has them,
 * so that a page reads params a newer backend adds without failing.
 *
 * @public
 */
export type EmailFailureParams = {
  /** `reply` is absent when the server refused without a reply code. */
  'auth-failed': { reply?: string };
  'auth-not-offered':
    | { reason: 'after-starttls' }
    | { reason: 'plain' | 'over-tls'; host: string; port: number };
  /** `not-tls`: the port does not start with TLS; the others: it does, and was not chosen. */
  'tls-mismatch': {
    reason: 'not-tls' | 'starttls-on-tls-port' | 'plain-on-tls-port';
    port: number;
  };
  'tls-required': { host: string; port: number };
  /**
   * An SMTP server's certificate, by what Node found wrong with it; or a Microsoft service's,
   * with Node's code such as `SELF_SIGNED_CERT_IN_CHAIN`.
   */
  'certificate-invalid':
    | {
        reason:
          | 'self-signed'
          | 'untrusted-ca'
          | 'unverifiable'
          | 'expired'
          | 'not-yet-valid'
          | 'wrong-name';
        host: string;
      }
    | {
        reason: 'untrusted-service';
        service: MicrosoftServiceName;
        url: string;
        certificateError: string;
      };
  'connection-refused': { host: string; port: number };
  'host-not-found': { host: string };
  /** `allowedHosts` is the configured list, comma-separated. */
  'destination-not-allowed':
    | { reason: 'metadata-address'; host: string }
    | { reason: 'not-in-allowed-hosts'; host: string; allowedHosts: string }
    | { reason: 'resolves-to-metadata-address'; host: string; address: string };
  /**
   * `no-answer` and `no-greeting` while sending; `tls-handshake`, `ehlo`, `sign-in`, `dns` and
   * `check-deadline` in a connection check, after `seconds`.
   */
  timeout:
    | { reason: 'no-answer' | 'no-greeting'; host: string; port: number }
    | {
        reason:
          | 'send-deadline'
          | 'check-deadline'
          | 'tls-handshake'
          | 'ehlo'
          | 'sign-in';
        host: string;
        port: number;
        seconds: number;
      }
    | { reason: 'dns'; host: string; seconds: number }
    | { reason: 'service'; service: MicrosoftServiceName; url: string };
  'sender-rejected': { reply?: string };
  'recipient-rejected':
    | { reason: 'smtp'; reply?: string }
    | { reason: 'microsoft365'; reply: string };
  /**
   * `starttls-required`, `sign-in-required` and `not-relayed-without-sign-in` come with
   * authentication off; the others with it on.
   */
  'relay-denied':
    | {
        reason:
          | 'starttls-required'
          | 'sign-in-required'
          | 'not-relayed-without-sign-in'
          | 'no-sign-in-on-plain'
          | 'not-relayed';
        host: string;
        port: number;
        reply: string;
      }
    | { reason: 'sign-in-after-starttls'; reply: string };
  /** `limit` is the size the SMTP server announced, such as `10 MB`. */
  'message-too-large':
    | { reason: 'smtp-limit'; limit: string }
    | { reason: 'smtp-refused'; reply?: string }
    | { reason: 'microsoft365'; reply: string };
  'secret-invalid': { aadsts: string };
  'secret-expired': { aadsts: string };
  /** Absent `subject` and `thumbprint`: the certificate was not at hand to name. */
  'certificate-not-registered': {
    aadsts: string;
    subject?: string;
    thumbprint?: string;
  };
  /** `past-end-date`: refused here before asking Entra; `expiredOn` is `YYYY-MM-DD`. */
  'certificate-expired':
    | { reason: 'entra'; aadsts: string; subject?: string; thumbprint?: string }
    | {
        reason: 'past-end-date';
        subject: string;
        thumbprint: string;
        expiredOn: string;
      };
  'certificate-key-mismatch': {
    aadsts: string;
    subject?: string;
    thumbprint?: string;
  };
  'app-not-found': { aadsts: string };
  /** `unknown`: no tenant has this ID; `malformed`: neither a GUID nor a tenant's domain. */
  'tenant-not-found': { reason: 'unknown' | 'malformed'; aadsts: string };
  'permission-missing':
    | { reason: 'mail-send' | 'mail-readwrite' }
    | { reason: 'access-policy'; sender: string };
  'mailbox-not-found': { sender: string };
  /** `retryAfterSeconds` is absent when the service did not say how long to wait. */
  throttled:
    | {
        reason: 'entra';
        url: string;
        reply: string;
        retryAfterSeconds?: number;
      }
    | { reason: 'graph'; reply: string; retryAfterSeconds?: number };
  /**
   * An SMTP server that turned the connection away, a Microsoft service that answered it is
   * down, or one that could not be reached (`networkError`, Node's code such as `ECONNRESET`).
   */
  'provider-unavailable':
    | { reason: 'turned-away'; host: string; port: number; reply: string }
    | {
        reason: 'entra';
        url: string;
        reply: string;
        retryAfterSeconds?: number;
      }
    | { reason: 'graph'; reply: string; retryAfterSeconds?: number }
    | {
        reason: 'unreachable';
        service: MicrosoftServiceName;
        url: string;
        networkError?: string;
      };
  /**
   * The rest, each with its own fix. Entra's or Graph's own description of an unknown refusal
   * is free text, so those come without params.
   */
  'provider-error':
    | { reason: 'ehlo-refused'; host: string; port: number; reply: string }
    | { reason: 'smtp-refused'; reply: string }
    | { reason: 'clock-skew' | 'wrong-cloud'; aadsts: string }
    | { reason: 'authority-rejected'; errorCode: string }
    | { reason: 'token-unexpected' | 'upload-url-not-https' }
    | { reason: 'secret-missing' | 'certificate-missing' }
    | { reason: 'not-oauth'; url: string; httpStatus: number }
    | {
        reason: 'redirect';
        service: MicrosoftServiceName;
        url: string;
        httpStatus: number;
        /** The origin the redirect pointed to, when it named one. */
        target?: string;
        setting: 'authorityHost' | 'graphBaseUrl';
      }
    | { reason: 'graph-token-refused'; reply: string };
};

/**
 * A classified failure of a provider: what went wrong, what to change, whether trying again later
 * may help, and the provider's own reply with any credential removed.
 *
 * @public
 */
export type EmailFailure = {
  code: EmailFailureCode;
  message: string;
  /**
   * The values the sentence for `code` is made from, so a page can say it in its language; see
   * {@link EmailFailureParams} for each code's.
   */
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
