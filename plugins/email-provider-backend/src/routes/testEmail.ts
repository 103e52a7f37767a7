import { effectiveSmtpUsername } from '@email-provider/backstage-plugin-email-provider-common';
import escapeHtml from 'escape-html';
import { newMessageId } from '../delivery/outboxMessages';
import type { OutgoingMessage } from '../providers/types';
import type { ActiveProvider } from '../settings/SettingsService';
import {
  TEST_EMAIL_TEXTS,
  TestEmailLocale,
  TestEmailTexts,
} from './testEmailContent';

/** The settings that sent the message, as an admin reads them; never the secret. */
function describeProvider(
  active: ActiveProvider,
  texts: TestEmailTexts,
): string[] {
  if (active.provider === 'smtp') {
    const { smtp } = active;
    return [
      texts.smtpProvider,
      texts.server(`${smtp.host}:${smtp.port}`, smtp.security),
      texts.sender(
        smtp.fromName ? `${smtp.fromName} <${smtp.from}>` : smtp.from,
      ),
      texts.username(effectiveSmtpUsername(smtp)),
    ];
  }
  const { microsoft365 } = active;
  return [
    texts.microsoft365Provider,
    texts.sender(microsoft365.from),
    texts.tenantId(microsoft365.tenantId),
    texts.clientId(microsoft365.clientId),
  ];
}

/**
 * The test email, in the portal's language: which provider and settings sent it, when, and for
 * whom, so the admin who receives it knows exactly what worked.
 */
export function buildTestEmail(options: {
  appTitle: string;
  locale: TestEmailLocale;
  active: ActiveProvider;
  to: string;
  requestedBy: string;
  now: Date;
}): OutgoingMessage {
  const { appTitle, active, to, requestedBy, now } = options;
  const texts = TEST_EMAIL_TEXTS[options.locale];
  const from =
    active.provider === 'smtp' ? active.smtp.from : active.microsoft365.from;
  const intro = texts.intro({ appTitle, requestedBy, at: now.toISOString() });
  const details = describeProvider(active, texts);
  return {
    to: [{ address: to }],
    subject: texts.subject(appTitle),
    text: [intro, '', ...details, '', texts.outro].join('\n'),
    html: [
      `<p>${escapeHtml(intro)}</p>`,
      `<ul>${details
        .map(line => `<li>${escapeHtml(line)}</li>`)
        .join('')}</ul>`,
      `<p>${escapeHtml(texts.outro)}</p>`,
    ].join('\n'),
    messageId: newMessageId(from),
  };
}
