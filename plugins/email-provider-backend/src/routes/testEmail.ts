import { effectiveSmtpUsername } from '@email-provider/backstage-plugin-email-provider-common';
import escapeHtml from 'escape-html';
import { newMessageId } from '../delivery/outboxMessages';
import type { OutgoingMessage } from '../providers/types';
import type { ActiveProvider } from '../settings/SettingsService';

const SECURITY_LABELS = {
  starttls: 'StartTLS',
  tls: 'SSL/TLS',
  none: 'no encryption',
} as const;

/** The settings that sent the message, as an admin reads them; never the secret. */
function describeProvider(active: ActiveProvider): string[] {
  if (active.provider === 'smtp') {
    const { smtp } = active;
    return [
      'Provider: SMTP',
      `Server: ${smtp.host}:${smtp.port} (${SECURITY_LABELS[smtp.security]})`,
      `Sender: ${
        smtp.fromName ? `${smtp.fromName} <${smtp.from}>` : smtp.from
      }`,
      `Username: ${effectiveSmtpUsername(smtp)}`,
    ];
  }
  const { microsoft365 } = active;
  return [
    'Provider: Microsoft 365 (Microsoft Graph)',
    `Sender: ${microsoft365.from}`,
    `Tenant ID: ${microsoft365.tenantId}`,
    `Client ID: ${microsoft365.clientId}`,
  ];
}

/**
 * The test email: which provider and settings sent it, when, and for whom, so the admin who
 * receives it knows exactly what worked.
 */
export function buildTestEmail(options: {
  appTitle: string;
  active: ActiveProvider;
  to: string;
  requestedBy: string;
  now: Date;
}): OutgoingMessage {
  const { appTitle, active, to, requestedBy, now } = options;
  const from =
    active.provider === 'smtp' ? active.smtp.from : active.microsoft365.from;
  const intro = `This is a test email from ${appTitle}, requested by ${requestedBy} at ${now.toISOString()}.`;
  const details = describeProvider(active);
  const outro = 'If you can read this, the portal can send email.';
  return {
    to: [{ address: to }],
    subject: `Test email from ${appTitle} administration`,
    text: [intro, '', ...details, '', outro].join('\n'),
    html: [
      `<p>${escapeHtml(intro)}</p>`,
      `<ul>${details
        .map(line => `<li>${escapeHtml(line)}</li>`)
        .join('')}</ul>`,
      `<p>${escapeHtml(outro)}</p>`,
    ].join('\n'),
    messageId: newMessageId(from),
  };
}
