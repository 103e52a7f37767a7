import { escapeHtml } from './escapeHtml';

/** The sentence every notification email ends with, before the settings link. */
export const HOW_TO_STOP =
  'To stop these emails, turn off the Email channel in your notification settings';

/** A link drawn as a button, for the one action of an email. */
export const BUTTON_STYLE =
  'display:inline-block;padding:10px 18px;border-radius:4px;background:#1f5493;color:#ffffff;text-decoration:none;font-weight:bold;';

/** An HTML link with an escaped address and label. */
export function anchor(href: string, label: string, style = ''): string {
  return `<a href="${escapeHtml(href)}"${
    style ? ` style="${style}"` : ''
  }>${escapeHtml(label)}</a>`;
}

/** The text body's footer: why the user got the email and where to turn such emails off. */
export function textFooter(why: string, settingsUrl: string): string[] {
  return ['-- ', why, `${HOW_TO_STOP}: ${settingsUrl}`, ''];
}

/**
 * The HTML document every notification email shares: the portal's name, a card with `cardHtml`
 * (already escaped by the caller) and a footer that says why the user got it and where to turn
 * such emails off. Inline styles only, as mail clients drop style sheets.
 */
export function htmlEmail(options: {
  subject: string;
  portalTitle: string;
  cardHtml: string;
  why: string;
  settingsUrl: string;
}): string {
  const { subject, portalTitle, cardHtml, why, settingsUrl } = options;
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(subject)}</title>
</head>
<body style="margin:0;padding:0;background:#f5f5f5;font-family:Helvetica,Arial,sans-serif;color:#212121;">
<div style="max-width:600px;margin:0 auto;padding:24px;">
<p style="margin:0 0 12px 0;font-size:13px;color:#616161;">${escapeHtml(
    portalTitle,
  )}</p>
<div style="background:#ffffff;border:1px solid #e0e0e0;border-radius:6px;padding:24px;">
${cardHtml}</div>
<p style="margin:16px 0 0 0;font-size:12px;color:#757575;">${escapeHtml(
    why,
  )} ${escapeHtml(HOW_TO_STOP)}: ${anchor(
    settingsUrl,
    settingsUrl,
    'color:#757575;',
  )}.</p>
</div>
</body>
</html>
`;
}
