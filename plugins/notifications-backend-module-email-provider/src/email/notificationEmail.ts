import {
  Notification,
  NotificationSeverity,
} from '@backstage/plugin-notifications-common';
import { escapeHtml } from './escapeHtml';
import { anchor, BUTTON_STYLE, htmlEmail, textFooter } from './emailLayout';

// Everything a notification email says is built here, and every value that comes from a
// notification or from config passes through escapeHtml (HTML) or subjectLine (the subject).

/** The email-provider's limit for a subject (RFC 5322's line length). */
export const MAX_SUBJECT_LENGTH = 998;

// C0 and C1 controls (line breaks, tabs, escapes) and the Unicode line and paragraph separators:
// none of them may appear in a subject.
// eslint-disable-next-line no-control-regex
const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]+/g;

/** The portal that sends the email. */
export type PortalDetails = {
  /** `app.baseUrl` */
  baseUrl: string;
  /** `app.title` */
  title: string;
  /** Absolute URL of the page where users turn notification emails off. */
  settingsUrl: string;
};

/**
 * A rendered notification email: a one-line subject, a text body and an HTML body.
 *
 * @public
 */
export type NotificationEmail = {
  subject: string;
  text: string;
  html: string;
};

/**
 * One line of at most `maxLength` characters: control characters and line breaks become spaces,
 * runs of white space one space, and a longer text is cut (never inside a surrogate pair) and
 * ends with an ellipsis.
 */
export function subjectLine(
  value: string,
  maxLength: number = MAX_SUBJECT_LENGTH,
): string {
  const line = value
    .replace(CONTROL_CHARACTERS, ' ')
    .replace(/\s+/g, ' ')
    .trim();
  return shortened(line, maxLength);
}

/**
 * `text` if it has at most `maxLength` characters, else its start cut (never inside a surrogate
 * pair) to end with an ellipsis within `maxLength`.
 */
export function shortened(text: string, maxLength: number): string {
  if (text.length <= maxLength) {
    return text;
  }
  let cut = maxLength - 1;
  const last = text.charCodeAt(cut - 1);
  if (last >= 0xd800 && last <= 0xdbff) {
    cut -= 1; // a high surrogate whose pair would be cut off
  }
  return `${text.slice(0, cut).trimEnd()}…`;
}

function withTrailingSlash(url: string): string {
  return url.endsWith('/') ? url : `${url}/`;
}

/**
 * The absolute http(s) URL a notification link points to, or undefined for anything else
 * (`javascript:`, `data:`, `mailto:`, unparsable text). A relative link is taken as relative to
 * the portal, as the notifications backend and frontend take it: `/catalog/x` and `catalog/x`
 * both become `<app.baseUrl>/catalog/x`.
 */
export function absoluteHttpLink(
  link: string | undefined,
  baseUrl: string,
): string | undefined {
  if (!link) {
    return undefined;
  }
  let url: URL;
  try {
    url = new URL(link.replace(/^\/+/, ''), withTrailingSlash(baseUrl));
  } catch {
    return undefined;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    return undefined;
  }
  return url.toString();
}

/** `<app.baseUrl>/notifications`, the portal's notifications page. */
export function notificationsPageUrl(baseUrl: string): string {
  return `${baseUrl.replace(/\/+$/, '')}/notifications`;
}

/** How a severity is named in an email; normal is not named. */
export const SEVERITY_LABELS: Record<NotificationSeverity, string | undefined> =
  {
    critical: 'Critical',
    high: 'High',
    normal: undefined,
    low: 'Low',
  };

/** The colour a severity's name is shown in. */
export const SEVERITY_COLORS: Record<NotificationSeverity, string> = {
  critical: '#b71c1c',
  high: '#e65100',
  normal: '#455a64',
  low: '#455a64',
};

function htmlParagraphs(text: string): string {
  return text
    .replace(/\r\n?/g, '\n')
    .split(/\n{2,}/)
    .map(
      paragraph =>
        `<p style="margin:0 0 12px 0;">${paragraph
          .split('\n')
          .map(line => escapeHtml(line))
          .join('<br>')}</p>`,
    )
    .join('\n');
}

/**
 * The email for one notification: its title as the subject, a text and an HTML body with the
 * title, description, severity (unless normal), links back to the portal, and a footer that says
 * how to turn these emails off.
 */
export function renderNotificationEmail(
  notification: Notification,
  portal: PortalDetails,
): NotificationEmail {
  const { payload } = notification;
  const portalTitle = subjectLine(portal.title, 200) || 'Backstage';
  const title = subjectLine(payload.title);
  const subject = title || `Notification from ${portalTitle}`;
  const description = payload.description?.trim() || undefined;
  const severity = SEVERITY_LABELS[payload.severity ?? 'normal'];
  const ownLink = absoluteHttpLink(payload.link, portal.baseUrl);
  const notificationsUrl = notificationsPageUrl(portal.baseUrl);
  const why =
    notification.user === null
      ? `You received this email because of a notification to everyone in ${portalTitle}.`
      : `You received this email because of a notification for you in ${portalTitle}.`;

  const text = [
    portalTitle,
    ...(severity ? [`Severity: ${severity}`] : []),
    '',
    subject,
    ...(description ? ['', description] : []),
    '',
    ...(ownLink ? [`Open: ${ownLink}`] : []),
    `All your notifications: ${notificationsUrl}`,
    '',
    ...textFooter(why, portal.settingsUrl),
  ].join('\n');

  const html = htmlEmail({
    subject,
    portalTitle,
    why,
    settingsUrl: portal.settingsUrl,
    cardHtml: `${
      severity
        ? `<p style="margin:0 0 8px 0;font-size:12px;font-weight:bold;text-transform:uppercase;color:${
            SEVERITY_COLORS[payload.severity ?? 'normal']
          };">Severity: ${escapeHtml(severity)}</p>\n`
        : ''
    }<h1 style="margin:0 0 16px 0;font-size:20px;line-height:1.3;">${escapeHtml(
      subject,
    )}</h1>
${
  description ? `${htmlParagraphs(description)}\n` : ''
}<p style="margin:20px 0 12px 0;">${anchor(
      ownLink ?? notificationsUrl,
      ownLink ? 'Open' : `View in ${portalTitle}`,
      BUTTON_STYLE,
    )}</p>
${
  ownLink
    ? `<p style="margin:0;font-size:13px;">All your notifications: ${anchor(
        notificationsUrl,
        notificationsUrl,
      )}</p>\n`
    : ''
}`,
  });

  return { subject, text, html };
}
