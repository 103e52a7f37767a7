import type { EmailFailureCode } from '@email-provider/backstage-plugin-email-provider-common';
import { emailProviderTranslationRef } from '../../translation';
import { emailProviderMessagesPtBr } from '../../translations/pt-BR';
import { chooseFailureSentence, failureSentences } from './failureSentences';

/** Backstage keeps a ref's English messages internal; they are what the page says in English. */
const english = (
  emailProviderTranslationRef as unknown as {
    getDefaultMessages(): Record<string, string>;
  }
).getDefaultMessages();
const portuguese: Record<string, string> = emailProviderMessagesPtBr;

/**
 * Every code the backend sends. A code added to `EmailFailureCode` fails the type check here
 * until it is listed, and then this test until it has a sentence.
 */
const codes = Object.keys({
  'auth-failed': true,
  'auth-not-offered': true,
  'tls-mismatch': true,
  'tls-required': true,
  'certificate-invalid': true,
  'connection-refused': true,
  'host-not-found': true,
  'destination-not-allowed': true,
  timeout: true,
  'sender-rejected': true,
  'recipient-rejected': true,
  'relay-denied': true,
  'message-too-large': true,
  'secret-invalid': true,
  'secret-expired': true,
  'certificate-not-registered': true,
  'certificate-expired': true,
  'certificate-key-mismatch': true,
  'app-not-found': true,
  'tenant-not-found': true,
  'permission-missing': true,
  'mailbox-not-found': true,
  throttled: true,
  'provider-unavailable': true,
  'provider-error': true,
} satisfies Record<EmailFailureCode, true>);

const sentences = Object.entries(failureSentences).flatMap(([code, byReason]) =>
  Object.entries(byReason).flatMap(([reason, list]) =>
    list.map(sentence => ({ code, reason, ...sentence })),
  ),
);

function placeholders(message: string): string[] {
  return [...message.matchAll(/{{\s*(\w+)\s*}}/g)].map(match => match[1]);
}

describe('failureSentences', () => {
  it.each(codes)('has an English and a Portuguese sentence for %s', code => {
    const keys = Object.values(failureSentences[code as EmailFailureCode])
      .flat()
      .map(sentence => sentence.key);

    expect(keys.length).toBeGreaterThan(0);
    for (const key of keys) {
      expect(english[key]).toEqual(expect.any(String));
      expect(portuguese[key]).toEqual(expect.any(String));
    }
  });

  it.each(sentences.map(s => [s.key, s] as const))(
    '%s needs exactly the params its sentence names',
    (key, sentence) => {
      // `service` is said through `failures.services.*`, which takes the `url`.
      const named = new Set(placeholders(english[key]));
      if (named.has('service')) {
        named.add('url');
      }
      expect([...sentence.needs].sort()).toEqual([...named].sort());
      expect(new Set(placeholders(portuguese[key]))).toEqual(
        new Set(placeholders(english[key])),
      );
    },
  );

  it('picks the sentence by reason, with the reply code when there is one', () => {
    expect(
      chooseFailureSentence('tls-mismatch', {
        reason: 'starttls-on-tls-port',
        port: 465,
      })?.key,
    ).toBe('failures.tlsMismatch.starttlsOnTlsPort');
    expect(
      chooseFailureSentence('auth-failed', { reply: '535 5.7.8' })?.key,
    ).toBe('failures.authFailed.rejectedWithReply');
    expect(chooseFailureSentence('auth-failed', {})?.key).toBe(
      'failures.authFailed.rejected',
    );
  });

  it('has none for an unknown code or reason, or missing params', () => {
    expect(chooseFailureSentence('quota-exceeded', {})).toBeUndefined();
    expect(chooseFailureSentence('toString', {})).toBeUndefined();
    expect(
      chooseFailureSentence('tls-mismatch', { reason: 'new-kind', port: 25 }),
    ).toBeUndefined();
    expect(
      chooseFailureSentence('tls-mismatch', { reason: 'not-tls' }),
    ).toBeUndefined();
    // A code with reasons and a failure without params, as a row stored before params were.
    expect(chooseFailureSentence('relay-denied', {})).toBeUndefined();
  });
});
