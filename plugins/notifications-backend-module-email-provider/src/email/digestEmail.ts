import {
  Notification,
  NotificationSeverity,
} from '@backstage/plugin-notifications-common';
import { escapeHtml } from './escapeHtml';
import { anchor, BUTTON_STYLE, htmlEmail, textFooter } from './emailLayout';
import {
  absoluteHttpLink,
  NotificationEmail,
  notificationsPageUrl,
  PortalDetails,
  SEVERITY_COLORS,
  SEVERITY_LABELS,
  shortened,
  subjectLine,
} from './notificationEmail';

// The digest email lists several notifications in one message. As in notificationEmail.ts, every
// value from a notification or from config passes through escapeHtml (HTML) or subjectLine
// (titles and the subject).

/** How many notifications a digest lists when the caller does not say. */
const DEFAULT_MAX_ITEMS = 20;
/** A digest shows the start of each description; the notification itself has the rest. */
const MAX_DESCRIPTION_LENGTH = 500;

/** Options of {@link renderDigestEmail}. */
export type DigestEmailOptions = {
  /** How many notifications the email lists; it counts the rest and links to them. */
  maxItems?: number;
};

function count(n: number): string {
  return n === 1 ? '1 notification' : `${n} notifications`;
}

type Item = {
  title: string;
  severity: NotificationSeverity;
  severityLabel?: string;
  description?: string;
  link?: string;
};

function item(notification: Notification, portal: PortalDetails): Item {
  const { payload } = notification;
  const severity = payload.severity ?? 'normal';
  const description = payload.description?.replace(/\r\n?/g, '\n').trim();
  return {
    title: subjectLine(payload.title) || 'Notification',
    severity,
    severityLabel: SEVERITY_LABELS[severity],
    description: description
      ? shortened(description, MAX_DESCRIPTION_LENGTH)
      : undefined,
    link: absoluteHttpLink(payload.link, portal.baseUrl),
  };
}

function textItem(entry: Item): string {
  const indent = (line: string) => (line ? `  ${line}` : '');
  return [
    `- ${entry.severityLabel ? `[${entry.severityLabel}] ` : ''}${entry.title}`,
    ...(entry.description ? entry.description.split('\n').map(indent) : []),
    ...(entry.link ? [indent(`Open: ${entry.link}`)] : []),
  ].join('\n');
}

function htmlItem(entry: Item): string {
  const title = entry.link
    ? anchor(entry.link, entry.title, 'color:#1f5493;')
    : escapeHtml(entry.title);
  const severity = entry.severityLabel
    ? `<span style="font-size:12px;font-weight:bold;text-transform:uppercase;color:${
        SEVERITY_COLORS[entry.severity]
      };">${escapeHtml(entry.severityLabel)}</span> `
    : '';
  const description = entry.description
    ? `\n<p style="margin:4px 0 0 0;font-size:14px;color:#424242;">${entry.description
        .split('\n')
        .map(line => escapeHtml(line))
        .join('<br>')}</p>`
    : '';
  return `<li style="margin:0 0 16px 0;">${severity}<strong>${title}</strong>${description}</li>`;
}

/**
 * One email for several of a user's notifications: the count as the subject, and a text and an
 * HTML body that list each (newest first, as given) with its severity unless normal, title,
 * description and link, then how many more there are, links to the notifications page and a
 * footer that says how to turn these emails off.
 */
export function renderDigestEmail(
  notifications: Notification[],
  portal: PortalDetails,
  options: DigestEmailOptions = {},
): NotificationEmail {
  const maxItems = Math.max(1, options.maxItems ?? DEFAULT_MAX_ITEMS);
  const portalTitle = subjectLine(portal.title, 200) || 'Backstage';
  const subject = subjectLine(`${portalTitle}: ${count(notifications.length)}`);
  const shown = notifications.slice(0, maxItems).map(n => item(n, portal));
  const more = notifications.length - shown.length;
  const notificationsUrl = notificationsPageUrl(portal.baseUrl);
  const why = `You received this email because of notifications for you in ${portalTitle}, collected in one email.`;

  const text = [
    portalTitle,
    '',
    `You have ${count(notifications.length)}:`,
    '',
    shown.map(textItem).join('\n\n'),
    '',
    ...(more > 0 ? [`And ${more} more: ${notificationsUrl}`, ''] : []),
    `All your notifications: ${notificationsUrl}`,
    '',
    ...textFooter(why, portal.settingsUrl),
  ].join('\n');

  const html = htmlEmail({
    subject,
    portalTitle,
    why,
    settingsUrl: portal.settingsUrl,
    cardHtml: `<h1 style="margin:0 0 16px 0;font-size:20px;line-height:1.3;">You have ${escapeHtml(
      count(notifications.length),
    )}</h1>
<ul style="margin:0;padding:0 0 0 20px;">
${shown.map(htmlItem).join('\n')}
</ul>
${
  more > 0
    ? `<p style="margin:0 0 12px 0;">${anchor(
        notificationsUrl,
        `And ${more} more`,
      )}</p>\n`
    : ''
}<p style="margin:20px 0 0 0;">${anchor(
      notificationsUrl,
      `View all in ${portalTitle}`,
      BUTTON_STYLE,
    )}</p>
`,
  });

  return { subject, text, html };
}
