import type { SmtpSecurity } from '@internal/plugin-email-provider-common';
import { isError } from '@backstage/errors';
import { ProviderError, redact } from '../ProviderError';

/** What the classification needs to know about the attempt, to name the fix. */
export type SmtpAttempt = {
  host: string;
  port: number;
  security: SmtpSecurity;
  /** Secrets that must not survive into the kept reply. */
  secrets: string[];
  /** Set when a greeting timeout was followed by a successful TLS handshake on the same port. */
  serverSpeaksImplicitTls?: boolean;
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

const CERTIFICATE_ERRORS: Record<string, string> = {
  DEPTH_ZERO_SELF_SIGNED_CERT:
    'is self-signed; give the server a certificate from a trusted CA, or trust its CA through NODE_EXTRA_CA_CERTS',
  SELF_SIGNED_CERT_IN_CHAIN:
    'was issued by a CA this portal does not trust; trust that CA through NODE_EXTRA_CA_CERTS',
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
    'was issued by a CA this portal does not trust; trust that CA through NODE_EXTRA_CA_CERTS',
  UNABLE_TO_VERIFY_LEAF_SIGNATURE:
    'cannot be verified (incomplete chain or unknown CA); have the server send its full chain, or trust its CA through NODE_EXTRA_CA_CERTS',
  CERT_HAS_EXPIRED: 'has expired; the server needs a renewed certificate',
  CERT_NOT_YET_VALID: 'is not valid yet; check the server clock',
  ERR_TLS_CERT_ALTNAME_INVALID:
    'was issued for another name; use the server address the certificate names',
};

function errorCodes(error: SmtpErrorLike): string[] {
  const cause = (error as { cause?: SmtpErrorLike }).cause;
  return [error.originalCode, error.code, cause?.code].filter(
    (code): code is string => typeof code === 'string',
  );
}

function fail(
  code: ConstructorParameters<typeof ProviderError>[0]['code'],
  message: string,
  transient: boolean,
  reply: string | undefined,
  attempt: SmtpAttempt,
) {
  return new ProviderError({
    code,
    message,
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
  const e = (
    isError(error) ? error : new Error(String(error))
  ) as SmtpErrorLike;
  const codes = errorCodes(e);
  const where = `${attempt.host}:${attempt.port}`;
  const reply = e.response ?? e.message;
  const status = e.responseCode
    ? ` (${e.response?.split(/\s/, 2).join(' ')})`
    : '';

  const certificateProblem = codes.find(code => code in CERTIFICATE_ERRORS);
  if (certificateProblem) {
    return fail(
      'certificate-invalid',
      `The certificate of ${attempt.host} ${CERTIFICATE_ERRORS[certificateProblem]}.`,
      false,
      `${certificateProblem}: ${e.message}`,
      attempt,
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
    );
  }
  if (e.command === 'STARTTLS' || /STARTTLS/.test(e.message)) {
    return fail(
      'tls-required',
      `${where} does not offer StartTLS, so nothing was sent. Choose SSL/TLS if the server supports it (usually port 465); choose None only for a relay on a trusted network.`,
      false,
      reply,
      attempt,
    );
  }
  if (codes.includes('ECONNREFUSED')) {
    return fail(
      'connection-refused',
      `Nothing accepts connections at ${where}; check the server address and port, and that a firewall lets the portal through.`,
      true,
      e.message,
      attempt,
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
    );
  }
  if (
    e.responseCode === 552 ||
    (e.code === 'EMESSAGE' && /size|too large|exceeds/i.test(reply))
  ) {
    return fail(
      'message-too-large',
      `The message is larger than the server accepts${status}; send smaller attachments.`,
      false,
      reply,
      attempt,
    );
  }
  if (e.command === 'MAIL FROM') {
    return fail(
      'sender-rejected',
      `The server refused the sender address${status}; use an address the account may send as.`,
      !e.permanent,
      reply,
      attempt,
    );
  }
  if (e.command === 'RCPT TO' || e.code === 'EENVELOPE') {
    return fail(
      'recipient-rejected',
      `The server refused the recipient${status}; check the address.`,
      !e.permanent,
      reply,
      attempt,
    );
  }
  if (e.responseCode !== undefined) {
    return fail(
      'provider-error',
      `The server refused the message${status}.`,
      !e.permanent,
      reply,
      attempt,
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
