import { CustomErrorBase } from '@backstage/errors';
import type {
  EmailFailure,
  EmailFailureCode,
} from '@email-provider/backstage-plugin-email-provider-common';

/**
 * A provider refused or could not take a message, classified for the admin: the code, a sentence
 * saying what to change with the params it is made from (see `EmailFailureParams`), whether a
 * later attempt may succeed, and the provider's reply with any credential removed.
 */
export class ProviderError extends CustomErrorBase {
  name = 'ProviderError' as const;
  readonly code: EmailFailureCode;
  readonly params?: Record<string, string | number>;
  readonly transient: boolean;
  readonly providerReply?: string;
  readonly retryAfterMs?: number;

  constructor(failure: EmailFailure) {
    super(failure.message);
    this.code = failure.code;
    this.params = failure.params;
    this.transient = failure.transient;
    this.providerReply = failure.providerReply;
    this.retryAfterMs = failure.retryAfterMs;
  }

  toFailure(): EmailFailure {
    return {
      code: this.code,
      message: this.message,
      ...(this.params ? { params: this.params } : {}),
      transient: this.transient,
      ...(this.providerReply ? { providerReply: this.providerReply } : {}),
      ...(this.retryAfterMs !== undefined
        ? { retryAfterMs: this.retryAfterMs }
        : {}),
    };
  }
}

/**
 * How much of a provider's text is examined at all. A hostile server can answer with a mebibyte
 * (nodemailer's cap), and a Graph or token body has none; classification looks at this much.
 */
const EXAMINED_LIMIT = 16 * 1024;

/** How much of a provider's reply is kept and shown: enough for any real reply. */
const KEPT_LIMIT = 4 * 1024;

/**
 * Secrets shorter than this are too common as parts of words to remove wherever they occur;
 * they are removed where they stand alone, and inside encoded credentials.
 */
const SHORT_SECRET = 4;

/** Maximal runs of base64 (standard or URL-safe) characters; linear, as runs do not overlap. */
const BASE64_RUN = /[A-Za-z0-9+/_-]{2,}={0,2}/g;

const XOAUTH2_BEARER = Buffer.from('auth=Bearer ');

/** Maximal runs of the characters a JSON Web Token is made of. */
const TOKEN_RUN = /[\w.-]+/g;

/** The part of a provider's text that classification may examine. */
export function examinedText(text: string): string {
  return text.length > EXAMINED_LIMIT ? text.slice(0, EXAMINED_LIMIT) : text;
}

/**
 * Removes credentials from a provider's text before it is kept or shown. A server that echoes
 * what it got returns the password in any of the forms it travels in: as itself, URL- or
 * JSON-escaped, or base64 inside AUTH PLAIN (`\0user\0password`), AUTH LOGIN, XOAUTH2 or a
 * `user:password` pair. Also removes anything that looks like a bearer token. The text is cut
 * to a few KB first, and every pattern below is linear, so a huge or crafted reply costs little.
 */
export function redact(text: string, secrets: string[]): string {
  const kept = secrets.filter(secret => secret.length > 0);
  const forms = [
    ...new Set(
      kept.flatMap(secret => [
        secret,
        encodeURIComponent(secret),
        JSON.stringify(secret).slice(1, -1),
      ]),
    ),
  ];
  const secretBytes = kept.map(secret => Buffer.from(secret));
  let result = cut(text, forms).replace(BASE64_RUN, run =>
    carriesCredential(run, secretBytes) ? '[redacted]' : run,
  );
  for (const form of forms) {
    result = removeSecretForm(result, form);
  }
  return result
    .replace(TOKEN_RUN, redactJsonWebTokens)
    .replace(/(Bearer\s+)\S+/gi, '$1[redacted]');
}

/**
 * The first few KB of the text. Whatever the cut splits (a base64 blob, a token, the start of a
 * secret that contains spaces) would be a piece of a credential no pattern recognises, so it goes.
 */
function cut(text: string, forms: string[]): string {
  if (text.length <= KEPT_LIMIT) {
    return text;
  }
  let end = KEPT_LIMIT;
  while (end > 0 && !/\s/.test(text[end - 1])) {
    end--;
  }
  let head = text.slice(0, end);
  for (const form of forms) {
    for (
      let length = Math.min(form.length - 1, head.length);
      length > 0;
      length--
    ) {
      if (
        form[length - 1] === head[head.length - 1] &&
        head.endsWith(form.slice(0, length))
      ) {
        head = head.slice(0, -length);
        break;
      }
    }
  }
  return `${head}[… ${text.length - head.length} more characters]`;
}

/**
 * Whether a base64 run decodes to something that holds a secret, or to an XOAUTH2 token.
 * Decoding at each of the four alignments finds a blob glued to other base64 characters too.
 */
function carriesCredential(run: string, secrets: Buffer[]): boolean {
  for (let offset = 0; offset < 4 && run.length - offset >= 2; offset++) {
    const decoded = Buffer.from(run.slice(offset), 'base64');
    if (decoded.includes(XOAUTH2_BEARER)) {
      return true;
    }
    for (const secret of secrets) {
      if (
        secret.length >= SHORT_SECRET
          ? decoded.includes(secret)
          : endsCredential(decoded, secret)
      ) {
        return true;
      }
    }
  }
  return false;
}

/**
 * Whether decoded bytes end with a short secret the way credentials carry it: alone (LOGIN),
 * after the NUL of AUTH PLAIN, or after the colon of a `user:password` pair. A short secret
 * anywhere in decoded bytes is too likely by chance to mean anything.
 */
function endsCredential(decoded: Buffer, secret: Buffer): boolean {
  if (decoded.equals(secret)) {
    return true;
  }
  const start = decoded.length - secret.length;
  return (
    start > 0 &&
    (decoded[start - 1] === 0 || decoded[start - 1] === 0x3a) &&
    decoded.subarray(start).equals(secret)
  );
}

/** Every occurrence of a secret, or where a short one stands alone, not inside a longer word. */
function removeSecretForm(text: string, form: string): string {
  if (form.length >= SHORT_SECRET) {
    return text.split(form).join('[redacted]');
  }
  const isWordCharacter = (index: number) =>
    index >= 0 && index < text.length && /[\p{L}\p{N}]/u.test(text[index]);
  let result = '';
  let from = 0;
  for (
    let at = text.indexOf(form);
    at >= 0;
    at = text.indexOf(form, at + form.length)
  ) {
    if (!isWordCharacter(at - 1) && !isWordCharacter(at + form.length)) {
      result += `${text.slice(from, at)}[redacted]`;
      from = at + form.length;
    }
  }
  return result + text.slice(from);
}

/**
 * Replaces JSON Web Tokens (`eyJ…` header, payload and signature, dot-separated) in one run.
 * Works segment by segment rather than with a pattern like `\beyJ[\w-]+\.[\w-]+\.[\w-]*`, which
 * backtracks quadratically over text such as `eyJ-eyJ-eyJ-…`.
 */
function redactJsonWebTokens(run: string): string {
  const segments = run.split('.');
  if (segments.length < 3) {
    return run;
  }
  const kept: string[] = [];
  for (let i = 0; i < segments.length; i++) {
    const start = tokenStart(segments[i]);
    if (start >= 0 && i + 2 < segments.length && segments[i + 1] !== '') {
      kept.push(`${segments[i].slice(0, start)}[redacted token]`);
      i += 2;
    } else {
      kept.push(segments[i]);
    }
  }
  return kept.join('.');
}

/** Where a token's `eyJ` header starts in a segment: at a word boundary, with more after it. */
function tokenStart(segment: string): number {
  for (
    let at = segment.indexOf('eyJ');
    at >= 0;
    at = segment.indexOf('eyJ', at + 1)
  ) {
    if ((at === 0 || segment[at - 1] === '-') && segment.length > at + 3) {
      return at;
    }
  }
  return -1;
}
