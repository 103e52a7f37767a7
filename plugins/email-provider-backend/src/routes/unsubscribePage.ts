import escapeHtml from 'escape-html';
import { createHash } from 'node:crypto';
import type { UnsubscribeGrant } from '../suppressions/UnsubscribeTokens';
import type { TestEmailLocale } from './testEmailContent';

/** The fields the page's form posts, besides what a mail client's one-click POST has. */
export const CONFIRMATION_FIELD = 'confirmed-on';
export const CONFIRMATION_VALUE = 'page';

/** Every sentence of the unsubscribe pages, in one language. */
export type UnsubscribePageTexts = {
  title: string;
  /** What the recipient leaves: the message's description, or its list's name. */
  what(grant: Pick<UnsubscribeGrant, 'list' | 'description'>): string;
  question(options: { what: string; address: string }): string;
  button: string;
  doneTitle: string;
  done(options: { what: string; address: string }): string;
  invalidTitle: string;
  invalid: string;
};

export const UNSUBSCRIBE_PAGE_TEXTS: Record<
  TestEmailLocale,
  UnsubscribePageTexts
> = {
  en: {
    title: 'Unsubscribe',
    what: ({ list, description }) =>
      description ?? `emails of the list ${list}`,
    question: ({ what, address }) => `Stop receiving ${what} at ${address}?`,
    button: 'Unsubscribe',
    doneTitle: 'You are unsubscribed',
    done: ({ what, address }) => `${address} will no longer receive ${what}.`,
    invalidTitle: 'Unsubscribe',
    invalid: 'This unsubscribe link is not valid or has expired.',
  },
  'pt-BR': {
    title: 'Cancelar inscrição',
    what: ({ list, description }) => description ?? `e-mails da lista ${list}`,
    question: ({ what, address }) => `Deixar de receber ${what} em ${address}?`,
    button: 'Cancelar inscrição',
    doneTitle: 'Sua inscrição foi cancelada',
    done: ({ what, address }) => `${address} não receberá mais ${what}.`,
    invalidTitle: 'Cancelar inscrição',
    invalid: 'Este link de cancelamento de inscrição não é válido ou expirou.',
  },
};

/**
 * An address as the pages and the audit log show it, `a•••@example.com`: enough for its owner to
 * recognise it, not enough to read it off a screen or a log.
 */
export function maskAddress(address: string): string {
  const at = address.lastIndexOf('@');
  const local = at > 0 ? address.slice(0, at) : address;
  const domain = at > 0 ? address.slice(at) : '';
  return `${Array.from(local)[0] ?? ''}•••${domain}`;
}

const STYLE =
  'body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0;' +
  'background:#f5f5f5;color:#1f1f1f}main{max-width:32rem;margin:4rem auto;padding:2rem;' +
  'background:#fff;border-radius:8px;box-shadow:0 1px 3px rgba(0,0,0,.2)}h1{font-size:1.5rem;' +
  'margin-top:0}button{font:inherit;padding:.6rem 1.2rem;border:0;border-radius:4px;' +
  'background:#1f5493;color:#fff;cursor:pointer}';

/**
 * No script, no outside resource, only this style (by its hash), no framing, and forms that post
 * nowhere but here: the page shows values that came from another plugin.
 */
export const UNSUBSCRIBE_PAGE_CSP = [
  "default-src 'none'",
  `style-src 'sha256-${createHash('sha256').update(STYLE).digest('base64')}'`,
  "form-action 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
].join('; ');

function page(locale: TestEmailLocale, title: string, body: string): string {
  return [
    '<!doctype html>',
    `<html lang="${locale}">`,
    '<head>',
    '<meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    '<meta name="robots" content="noindex">',
    `<title>${escapeHtml(title)}</title>`,
    `<style>${STYLE}</style>`,
    '</head>',
    `<body><main><h1>${escapeHtml(title)}</h1>${body}</main></body>`,
    '</html>',
  ].join('\n');
}

/** The page a link opens: what the recipient leaves, and the button that does it. */
export function confirmationPage(
  locale: TestEmailLocale,
  grant: UnsubscribeGrant,
): string {
  const texts = UNSUBSCRIBE_PAGE_TEXTS[locale];
  const question = texts.question({
    what: texts.what(grant),
    address: maskAddress(grant.address),
  });
  // No action: the form posts to the page's own address, the link.
  return page(
    locale,
    texts.title,
    `<p>${escapeHtml(question)}</p>` +
      '<form method="post">' +
      `<input type="hidden" name="${CONFIRMATION_FIELD}" value="${CONFIRMATION_VALUE}">` +
      `<button type="submit">${escapeHtml(texts.button)}</button>` +
      '</form>',
  );
}

/** The page after unsubscribing, by the page's button or a mail client's one-click POST. */
export function unsubscribedPage(
  locale: TestEmailLocale,
  grant: UnsubscribeGrant,
): string {
  const texts = UNSUBSCRIBE_PAGE_TEXTS[locale];
  const done = texts.done({
    what: texts.what(grant),
    address: maskAddress(grant.address),
  });
  return page(locale, texts.doneTitle, `<p>${escapeHtml(done)}</p>`);
}

/** The page for a link that is forged, altered, expired or of a key no longer configured. */
export function invalidLinkPage(locale: TestEmailLocale): string {
  const texts = UNSUBSCRIBE_PAGE_TEXTS[locale];
  return page(
    locale,
    texts.invalidTitle,
    `<p>${escapeHtml(texts.invalid)}</p>`,
  );
}
