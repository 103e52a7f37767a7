import type {
  EmailFailureParams,
  SmtpAuthentication,
  SmtpSecurity,
} from '@email-provider/backstage-plugin-email-provider-common';
import { isError } from '@backstage/errors';
import { examinedText, ProviderError, redact } from '../ProviderError';
import { describeSize } from './SmtpOffer';

/** What the classification needs to know about the attempt, to name the fix. */
export type SmtpAttempt = {
  host: string;
  port: number;
  security: SmtpSecurity;
  /** `none` when no sign-in was attempted; absent means a password. */
  authentication?: SmtpAuthentication;
  /** Secrets that must not survive into the kept reply. */
  secrets: string[];
  /** Set when a greeting timeout was followed by a successful TLS handshake on the same port. */
  serverSpeaksImplicitTls?: boolean;
  /** What the server offers on a plain connection, when a relay refusal made us look. */
  plainOffer?: { startTls: boolean; auth: boolean };
};

type SmtpErrorLike = Error & {
  code?: string;
  originalCode?: string;
  reason?: string;
  command?: string;
  response?: string;
  responseCode?: number;
  permanent?: boolean;
  timeoutType?: string;
};

type CertificateReason = Extract<
  EmailFailureParams['certificate-invalid'],
  { host: string }
>['reason'];

/** Node's certificate errors, by the reason the failure's params give and what to do. */
const CERTIFICATE_ERRORS: Record<
  string,
  { reason: CertificateReason; sentence: string }
> = {
  DEPTH_ZERO_SELF_SIGNED_CERT: {
    reason: 'self-signed',
    sentence:
      'is self-signed; give the server a certificate from a trusted CA, or trust its CA through NODE_EXTRA_CA_CERTS',
  },
  SELF_SIGNED_CERT_IN_CHAIN: {
    reason: 'untrusted-ca',
    sentence:
      'was issued by a CA this portal does not trust; trust that CA through NODE_EXTRA_CA_CERTS',
  },
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY: {
    reason: 'untrusted-ca',
    sentence:
      'was issued by a CA this portal does not trust; trust that CA through NODE_EXTRA_CA_CERTS',
  },
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: {
    reason: 'unverifiable',
    sentence:
      'cannot be verified (incomplete chain or unknown CA); have the server send its full chain, or trust its CA through NODE_EXTRA_CA_CERTS',
  },
  CERT_HAS_EXPIRED: {
    reason: 'expired',
    sentence: 'has expired; the server needs a renewed certificate',
  },
  CERT_NOT_YET_VALID: {
    reason: 'not-yet-valid',
    sentence: 'is not valid yet; check the server clock',
  },
  ERR_TLS_CERT_ALTNAME_INVALID: {
    reason: 'wrong-name',
    sentence:
      'was issued for another name; use the server address the certificate names',
  },
};

/**
 * The server refused to take mail for another domain from this client: relaying needs sign-in
 * (Postfix `554 5.7.1 Relay access denied`, `530 5.7.0 Authentication required`, Exchange's
 * `530 5.7.57 Client not authenticated`).
 */
export function isRelayDenial(error: unknown): boolean {
  const e = error as Partial<SmtpErrorLike> | undefined;
  if (
    !e?.responseCode ||
    !['MAIL FROM', 'RCPT TO', 'DATA'].includes(e.command ?? '')
  ) {
    return false;
  }
  const reply = examinedText(String(e.response ?? ''));
  // Not any mention of relaying: Postfix's `User unknown in relay recipient table` is a
  // rejected recipient.
  return (
    requiresSignIn(e) ||
    /relay(ing)?( access)? (denied|not (permitted|allowed)|prohibited)|(unable|not (permitted|allowed)) to relay/i.test(
      reply,
    )
  );
}

/** The refusal says sign-in is needed (`530`, `Authentication required`), not only relaying. */
function requiresSignIn(error: Partial<SmtpErrorLike>): boolean {
  return (
    error.responseCode === 530 ||
    /authentication required|not authenticated|must authenticate/i.test(
      examinedText(String(error.response ?? '')),
    )
  );
}

function errorCodes(error: SmtpErrorLike): string[] {
  const cause = (error as { cause?: SmtpErrorLike }).cause;
  return [error.originalCode, error.code, cause?.code].filter(
    (code): code is string => typeof code === 'string',
  );
}

/**
 * The error as classification examines it. Its message is nodemailer's or Node's own words:
 * nodemailer appends the server's reply, and a reply that echoes `STARTTLS` or says "wrong
 * version number" must not pass for them. The reply is cut, as a hostile server may answer
 * with a mebibyte, which every pattern here would otherwise scan.
 */
function examined(error: SmtpErrorLike): SmtpErrorLike {
  const response =
    typeof error.response === 'string' ? error.response : undefined;
  const ownWords =
    response !== undefined && error.message.endsWith(`: ${response}`)
      ? error.message.slice(0, -(response.length + 2))
      : error.message;
  return {
    ...error,
    name: error.name,
    message: examinedText(ownWords),
    ...(response !== undefined ? { response: examinedText(response) } : {}),
    cause: error.cause,
  };
}

function fail<C extends keyof EmailFailureParams>(
  code: C,
  message: string,
  transient: boolean,
  reply: string | undefined,
  attempt: SmtpAttempt,
  params?: EmailFailureParams[C],
) {
  return new ProviderError({
    code,
    // Sentences quote the server's status too.
    message: redact(message, attempt.secrets),
    // Params hold the host and port the admin typed and reply codes, never the reply's text.
    ...(params ? { params } : {}),
    transient,
    ...(reply ? { providerReply: redact(reply, attempt.secrets) } : {}),
  });
}

/**
 * Turns what nodemailer and Node threw into a failure an admin can act on: the code, a sentence
 * naming the fix, and whether retrying later may help.
 */
export function classifySmtpError(
  error: unknown,
  attempt: SmtpAttempt,
): ProviderError {
  if (error instanceof ProviderError) {
    return error;
  }
  // Node's own errors may come from another realm (as under jest), so no instanceof Error here.
  const e = examined(
    (isError(error) ? error : new Error(String(error))) as SmtpErrorLike,
  );
  const codes = errorCodes(e);
  const where = `${attempt.host}:${attempt.port}`;
  const reply = e.response ?? e.message;
  // The reply code and enhanced status code only: the text after them may echo what the
  // server was sent, AUTH included.
  const replyCode = e.responseCode
    ? /^\d{3}(?: \d\.\d{1,3}\.\d{1,3}(?!\S))?/.exec(e.response ?? '')?.[0] ??
      String(e.responseCode)
    : undefined;
  const status = replyCode ? ` (${replyCode})` : '';
  const withReply = replyCode ? { reply: replyCode } : {};
  const { host, port } = attempt;

  const certificateProblem = codes.find(code => code in CERTIFICATE_ERRORS);
  if (certificateProblem) {
    const { reason, sentence } = CERTIFICATE_ERRORS[certificateProblem];
    return fail(
      'certificate-invalid',
      `The certificate of ${attempt.host} ${sentence}.`,
      false,
      `${certificateProblem}: ${e.message}`,
      attempt,
      { reason, host },
    );
  }
  if (
    /wrong version number|packet length too long|unknown protocol|ssl3_get_record/i.test(
      e.message,
    )
  ) {
    return fail(
      'tls-mismatch',
      `Port ${attempt.port} does not start with SSL/TLS; choose StartTLS (usually port 587) or the server's SSL/TLS port (usually 465).`,
      false,
      e.message,
      attempt,
      { reason: 'not-tls', port },
    );
  }
  if (e.command === 'STARTTLS' || /STARTTLS/.test(e.message)) {
    return fail(
      'tls-required',
      `${where} does not offer StartTLS, so nothing was sent. Choose SSL/TLS if the server supports it (usually port 465); choose None only for a relay on a trusted network.`,
      false,
      reply,
      attempt,
      { host, port },
    );
  }
  if (codes.includes('ECONNREFUSED')) {
    return fail(
      'connection-refused',
      `Nothing accepts connections at ${where}; check the server address and port, and that a firewall lets the portal through.`,
      true,
      e.message,
      attempt,
      { host, port },
    );
  }
  if (
    codes.some(code =>
      ['ENOTFOUND', 'EAI_AGAIN', 'EDNS', 'ENODATA'].includes(code),
    )
  ) {
    return fail(
      'host-not-found',
      `The server address ${attempt.host} does not resolve; check its spelling and the portal's DNS.`,
      codes.includes('EAI_AGAIN'),
      e.message,
      attempt,
      { host },
    );
  }
  if (
    codes.includes('EAUTH') ||
    e.responseCode === 535 ||
    e.responseCode === 534
  ) {
    return fail(
      'auth-failed',
      `The server rejected the username or password${status}. Check both; providers such as Gmail and Microsoft 365 need an app password or SMTP AUTH enabled for the mailbox.`,
      false,
      reply,
      attempt,
      withReply,
    );
  }
  if (
    codes.includes('ETIMEDOUT') ||
    (codes.includes('ECONNECTION') && /timeout/i.test(e.message))
  ) {
    if (
      e.timeoutType === 'GREETING_TIMEOUT' &&
      attempt.serverSpeaksImplicitTls
    ) {
      return fail(
        'tls-mismatch',
        `Port ${attempt.port} expects SSL/TLS from the start, not ${
          attempt.security === 'starttls' ? 'StartTLS' : 'a plain connection'
        }; choose SSL/TLS.`,
        false,
        e.message,
        attempt,
        {
          reason:
            attempt.security === 'starttls'
              ? 'starttls-on-tls-port'
              : 'plain-on-tls-port',
          port,
        },
      );
    }
    return fail(
      'timeout',
      e.timeoutType === 'GREETING_TIMEOUT'
        ? `${where} accepted the connection but sent no SMTP greeting in time; check that this is an SMTP port and the server is healthy.`
        : `${where} did not answer in time; check the address, the port and any firewall between the portal and the server.`,
      true,
      e.message,
      attempt,
      {
        reason:
          e.timeoutType === 'GREETING_TIMEOUT' ? 'no-greeting' : 'no-answer',
        host,
        port,
      },
    );
  }
  if (
    e.responseCode === 552 ||
    (e.code === 'EMESSAGE' && /size|too large|exceeds/i.test(reply))
  ) {
    // nodemailer refuses locally, before any DATA, a message over the server's announced SIZE.
    const limit = Number(/larger than allowed (\d+)/.exec(e.message)?.[1]);
    return fail(
      'message-too-large',
      limit
        ? `The message is larger than the ${describeSize(
            limit,
          )} the server accepts, so it was not sent; send smaller attachments.`
        : `The message is larger than the server accepts${status}; send smaller attachments.`,
      false,
      reply,
      attempt,
      limit
        ? { reason: 'smtp-limit', limit: describeSize(limit) }
        : { reason: 'smtp-refused', ...withReply },
    );
  }
  if (
    /helo command rejected/i.test(reply) ||
    // nodemailer falls back to HELO when EHLO is refused, and reports the HELO refusal.
    (e.command === 'HELO' && (e.responseCode ?? 0) >= 500)
  ) {
    // Postfix defers its HELO restrictions to RCPT TO, where this would pass for a bad recipient.
    return fail(
      'provider-error',
      `${where} refused the name this portal gives in EHLO${status}; set emailProvider.smtp.ehloName to the portal's fully qualified host name.`,
      !e.permanent,
      reply,
      attempt,
      replyCode
        ? { reason: 'ehlo-refused', host, port, reply: replyCode }
        : undefined,
    );
  }
  if (isRelayDenial(e)) {
    const offer = attempt.plainOffer;
    let sentence: string;
    let reason: EmailFailureParams['relay-denied']['reason'];
    if (attempt.authentication === 'none') {
      if (attempt.security === 'none' && /STARTTLS/i.test(reply)) {
        reason = 'starttls-required';
        sentence = `${where} takes mail only after StartTLS${status}: choose StartTLS.`;
      } else if (requiresSignIn(e)) {
        reason = 'sign-in-required';
        sentence = `${where} requires sign-in before it takes mail${status}, and authentication is off: tick Server requires authentication and enter the username and password.`;
      } else {
        reason = 'not-relayed-without-sign-in';
        sentence = `${where} refused to pass the message on${status}: it relays only for signed-in senders or allowed networks, and authentication is off. Have the relay admit the portal's address (its allowed networks or connector), or tick Server requires authentication and enter the username and password.`;
      }
    } else if (attempt.security === 'none' && offer?.startTls && !offer.auth) {
      reason = 'sign-in-after-starttls';
      sentence = `This server offers sign-in only after StartTLS: choose StartTLS. Without sign-in it refused the message${status}.`;
    } else if (attempt.security === 'none' && offer && !offer.auth) {
      reason = 'no-sign-in-on-plain';
      sentence = `${where} takes mail for other domains only from signed-in senders${status}, but offers no sign-in on a plain connection; choose SSL/TLS if the server supports it (usually port 465).`;
    } else {
      reason = 'not-relayed';
      sentence = `${where} refused to pass the message on${status}: it relays only for signed-in senders or allowed networks. Check that the server offers sign-in on this port and that the account may send as the sender address.`;
    }
    // A relay refusal always has a reply code (see isRelayDenial).
    let params: EmailFailureParams['relay-denied'] | undefined;
    if (replyCode) {
      params =
        reason === 'sign-in-after-starttls'
          ? { reason, reply: replyCode }
          : { reason, host, port, reply: replyCode };
    }
    return fail('relay-denied', sentence, !e.permanent, reply, attempt, params);
  }
  if (e.command === 'MAIL FROM') {
    return fail(
      'sender-rejected',
      `The server refused the sender address${status}; use an address the account may send as.`,
      !e.permanent,
      reply,
      attempt,
      withReply,
    );
  }
  if (e.command === 'RCPT TO' || e.code === 'EENVELOPE') {
    return fail(
      'recipient-rejected',
      `The server refused the recipient${status}; check the address.`,
      !e.permanent,
      reply,
      attempt,
      { reason: 'smtp', ...withReply },
    );
  }
  if (e.command === 'CONN' && e.responseCode !== undefined) {
    // An error greeting (`554 No SMTP service here`), or the server closing the session.
    return fail(
      'provider-unavailable',
      `${where} turned the connection away${status}; check that this is the right server and port, and that it accepts mail from the portal's address.`,
      !e.permanent,
      reply,
      attempt,
      replyCode
        ? { reason: 'turned-away', host, port, reply: replyCode }
        : undefined,
    );
  }
  if (e.responseCode !== undefined) {
    return fail(
      'provider-error',
      `The server refused the message${status}.`,
      !e.permanent,
      reply,
      attempt,
      replyCode ? { reason: 'smtp-refused', reply: replyCode } : undefined,
    );
  }
  return fail(
    'provider-unavailable',
    `The connection to ${where} failed: ${redact(e.message, attempt.secrets)}.`,
    true,
    e.message,
    attempt,
  );
}
