import type { EmailFailureCode } from '@email-provider/backstage-plugin-email-provider-common';
import type { EmailProviderMessageKey } from '../../translation';

/** A sentence of the translation ref's `failures` section. */
export type FailureSentenceKey = Exclude<
  Extract<EmailProviderMessageKey, `failures.${string}`>,
  `failures.services.${string}`
>;

/**
 * One way to say a failure: the sentence, and the params it needs. `service` stands for the
 * Microsoft service the params name with `service` and `url`.
 */
export type FailureSentence = {
  key: FailureSentenceKey;
  needs: readonly string[];
};

/**
 * The sentences of a code, by the `reason` of its params (`''` for a code with one kind of
 * sentence). Each reason lists its sentences most particular first: the first whose params are
 * all present is said, so a reply code or a wait is named when the backend gave one.
 */
type SentencesByReason = Record<string, readonly FailureSentence[]>;

const one = (
  key: FailureSentenceKey,
  ...needs: string[]
): readonly FailureSentence[] => [{ key, needs }];

/**
 * The sentences of every code the backend sends (see `EmailFailureParams`), and the delivery
 * log's `expired`. A failure none of them fits is shown with the backend's English message.
 */
export const failureSentences: Record<
  EmailFailureCode | 'expired',
  SentencesByReason
> = {
  'auth-failed': {
    '': [
      { key: 'failures.authFailed.rejectedWithReply', needs: ['reply'] },
      { key: 'failures.authFailed.rejected', needs: [] },
    ],
  },
  'auth-not-offered': {
    'after-starttls': one('failures.authNotOffered.afterStarttls'),
    plain: one('failures.authNotOffered.plain', 'host', 'port'),
    'over-tls': one('failures.authNotOffered.overTls', 'host', 'port'),
  },
  'tls-mismatch': {
    'not-tls': one('failures.tlsMismatch.notTls', 'port'),
    'starttls-on-tls-port': one(
      'failures.tlsMismatch.starttlsOnTlsPort',
      'port',
    ),
    'plain-on-tls-port': one('failures.tlsMismatch.plainOnTlsPort', 'port'),
  },
  'tls-required': { '': one('failures.tlsRequired', 'host', 'port') },
  'certificate-invalid': {
    'self-signed': one('failures.certificateInvalid.selfSigned', 'host'),
    'untrusted-ca': one('failures.certificateInvalid.untrustedCa', 'host'),
    unverifiable: one('failures.certificateInvalid.unverifiable', 'host'),
    expired: one('failures.certificateInvalid.expired', 'host'),
    'not-yet-valid': one('failures.certificateInvalid.notYetValid', 'host'),
    'wrong-name': one('failures.certificateInvalid.wrongName', 'host'),
    'untrusted-service': one(
      'failures.certificateInvalid.untrustedService',
      'service',
      'url',
      'certificateError',
    ),
  },
  'connection-refused': {
    '': one('failures.connectionRefused', 'host', 'port'),
  },
  'host-not-found': { '': one('failures.hostNotFound', 'host') },
  'destination-not-allowed': {
    'metadata-address': one(
      'failures.destinationNotAllowed.metadataAddress',
      'host',
    ),
    'not-in-allowed-hosts': one(
      'failures.destinationNotAllowed.notInAllowedHosts',
      'host',
      'allowedHosts',
    ),
    'resolves-to-metadata-address': one(
      'failures.destinationNotAllowed.resolvesToMetadataAddress',
      'host',
      'address',
    ),
  },
  timeout: {
    'no-answer': one('failures.timeout.noAnswer', 'host', 'port'),
    'no-greeting': one('failures.timeout.noGreeting', 'host', 'port'),
    'send-deadline': one(
      'failures.timeout.sendDeadline',
      'host',
      'port',
      'seconds',
    ),
    'check-deadline': one(
      'failures.timeout.checkDeadline',
      'host',
      'port',
      'seconds',
    ),
    'tls-handshake': one(
      'failures.timeout.tlsHandshake',
      'host',
      'port',
      'seconds',
    ),
    ehlo: one('failures.timeout.ehlo', 'host', 'port', 'seconds'),
    'sign-in': one('failures.timeout.signIn', 'host', 'port', 'seconds'),
    dns: one('failures.timeout.dns', 'host', 'seconds'),
    service: one('failures.timeout.service', 'service', 'url'),
  },
  'sender-rejected': {
    '': [
      { key: 'failures.senderRejected.rejectedWithReply', needs: ['reply'] },
      { key: 'failures.senderRejected.rejected', needs: [] },
    ],
  },
  'recipient-rejected': {
    smtp: [
      { key: 'failures.recipientRejected.smtpWithReply', needs: ['reply'] },
      { key: 'failures.recipientRejected.smtp', needs: [] },
    ],
    microsoft365: one('failures.recipientRejected.microsoft365', 'reply'),
  },
  'relay-denied': {
    'starttls-required': one(
      'failures.relayDenied.starttlsRequired',
      'host',
      'port',
      'reply',
    ),
    'sign-in-required': one(
      'failures.relayDenied.signInRequired',
      'host',
      'port',
      'reply',
    ),
    'not-relayed-without-sign-in': one(
      'failures.relayDenied.notRelayedWithoutSignIn',
      'host',
      'port',
      'reply',
    ),
    'sign-in-after-starttls': one(
      'failures.relayDenied.signInAfterStarttls',
      'reply',
    ),
    'no-sign-in-on-plain': one(
      'failures.relayDenied.noSignInOnPlain',
      'host',
      'port',
      'reply',
    ),
    'not-relayed': one(
      'failures.relayDenied.notRelayed',
      'host',
      'port',
      'reply',
    ),
  },
  'message-too-large': {
    'smtp-limit': one('failures.messageTooLarge.smtpLimit', 'limit'),
    'smtp-refused': [
      {
        key: 'failures.messageTooLarge.smtpRefusedWithReply',
        needs: ['reply'],
      },
      { key: 'failures.messageTooLarge.smtpRefused', needs: [] },
    ],
    microsoft365: one('failures.messageTooLarge.microsoft365', 'reply'),
  },
  'secret-invalid': { '': one('failures.secretInvalid', 'aadsts') },
  'secret-expired': { '': one('failures.secretExpired', 'aadsts') },
  'certificate-not-registered': {
    '': one(
      'failures.certificateNotRegistered',
      'aadsts',
      'subject',
      'thumbprint',
    ),
  },
  'certificate-expired': {
    entra: one(
      'failures.certificateExpired.entra',
      'aadsts',
      'subject',
      'thumbprint',
    ),
    'past-end-date': one(
      'failures.certificateExpired.pastEndDate',
      'subject',
      'thumbprint',
      'expiredOn',
    ),
  },
  'certificate-key-mismatch': {
    '': one(
      'failures.certificateKeyMismatch',
      'aadsts',
      'subject',
      'thumbprint',
    ),
  },
  'app-not-found': { '': one('failures.appNotFound', 'aadsts') },
  'tenant-not-found': {
    unknown: one('failures.tenantNotFound.unknown', 'aadsts'),
    malformed: one('failures.tenantNotFound.malformed', 'aadsts'),
  },
  'permission-missing': {
    'mail-send': one('failures.permissionMissing.mailSend'),
    'mail-readwrite': one('failures.permissionMissing.mailReadwrite'),
    'access-policy': one('failures.permissionMissing.accessPolicy', 'sender'),
  },
  'mailbox-not-found': { '': one('failures.mailboxNotFound', 'sender') },
  throttled: {
    entra: [
      {
        key: 'failures.throttled.entraRetryIn',
        needs: ['url', 'reply', 'retryAfterSeconds'],
      },
      { key: 'failures.throttled.entra', needs: ['url', 'reply'] },
    ],
    graph: [
      {
        key: 'failures.throttled.graphRetryIn',
        needs: ['reply', 'retryAfterSeconds'],
      },
      { key: 'failures.throttled.graph', needs: ['reply'] },
    ],
  },
  'provider-unavailable': {
    'turned-away': one(
      'failures.providerUnavailable.turnedAway',
      'host',
      'port',
      'reply',
    ),
    entra: [
      {
        key: 'failures.providerUnavailable.entraRetryIn',
        needs: ['url', 'reply', 'retryAfterSeconds'],
      },
      { key: 'failures.providerUnavailable.entra', needs: ['url', 'reply'] },
    ],
    graph: [
      {
        key: 'failures.providerUnavailable.graphRetryIn',
        needs: ['reply', 'retryAfterSeconds'],
      },
      { key: 'failures.providerUnavailable.graph', needs: ['reply'] },
    ],
    unreachable: one(
      'failures.providerUnavailable.unreachable',
      'service',
      'url',
      'networkError',
    ),
  },
  'provider-error': {
    'ehlo-refused': one(
      'failures.providerError.ehloRefused',
      'host',
      'port',
      'reply',
    ),
    'smtp-refused': one('failures.providerError.smtpRefused', 'reply'),
    'clock-skew': one('failures.providerError.clockSkew', 'aadsts'),
    'wrong-cloud': one('failures.providerError.wrongCloud', 'aadsts'),
    'authority-rejected': one(
      'failures.providerError.authorityRejected',
      'errorCode',
    ),
    'token-unexpected': one('failures.providerError.tokenUnexpected'),
    'upload-url-not-https': one('failures.providerError.uploadUrlNotHttps'),
    'secret-missing': one('failures.providerError.secretMissing'),
    'certificate-missing': one('failures.providerError.certificateMissing'),
    'not-oauth': one('failures.providerError.notOauth', 'url', 'httpStatus'),
    redirect: [
      {
        key: 'failures.providerError.redirectTo',
        needs: ['service', 'url', 'httpStatus', 'target', 'setting'],
      },
      {
        key: 'failures.providerError.redirect',
        needs: ['service', 'url', 'httpStatus', 'setting'],
      },
    ],
    'graph-token-refused': one(
      'failures.providerError.graphTokenRefused',
      'reply',
    ),
  },
  expired: { '': one('failures.expired') },
};

/**
 * The sentence for a failure, or none when this page does not know its code or reason, or the
 * params lack a value every sentence for it needs.
 */
export function chooseFailureSentence(
  code: string,
  params: Record<string, string | number>,
): FailureSentence | undefined {
  const byReason: SentencesByReason | undefined = Object.hasOwn(
    failureSentences,
    code,
  )
    ? failureSentences[code as keyof typeof failureSentences]
    : undefined;
  const reason = params.reason ?? '';
  const sentences =
    byReason && Object.hasOwn(byReason, reason) ? byReason[reason] : [];
  return sentences.find(sentence =>
    sentence.needs.every(name => params[name] !== undefined),
  );
}
