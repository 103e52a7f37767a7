import { InputError } from '@backstage/errors';

// A pattern is an address whose parts may hold `*`: a local part without white space, quotes or
// the characters that separate addresses, and a host name (letters in any script, digits, dots,
// hyphens).
const LOCAL_PART = /^[^\s@<>()[\]\\,;:"]+$/u;
const DOMAIN = /^[\p{L}\p{N}*.-]+$/u;

function compilePattern(pattern: string, key: string): RegExp {
  const at = pattern.indexOf('@');
  const localPart = pattern.slice(0, at);
  const domain = pattern.slice(at + 1);
  if (
    at <= 0 ||
    !LOCAL_PART.test(localPart) ||
    !domain ||
    !DOMAIN.test(domain)
  ) {
    throw new InputError(
      `${key} must be an email address pattern such as *@acme.test, ada@acme.com or *@*.staging.acme.com (\`*\` stands for any characters, the whole address must match), got '${pattern}'`,
    );
  }
  // `*` never matches the `@`, so a pattern's domain part only ever matches the domain.
  const source = pattern
    .split('*')
    .map(piece => piece.replace(/[.*+?^${}()|[\]\\-]/g, '\\$&'))
    .join('[^@]*');
  return new RegExp(`^${source}$`, 'iu');
}

function compileList(
  patterns: string[] | undefined,
  key: string,
): RegExp[] | undefined {
  if (patterns === undefined) {
    return undefined;
  }
  if (patterns.length === 0) {
    throw new InputError(
      `${key} must list at least one address pattern; leave it out to apply no such list`,
    );
  }
  return patterns.map((pattern, index) =>
    compilePattern(pattern, `${key}[${index}]`),
  );
}

/**
 * Which addresses may get notification emails, by the portal's allowlist and denylist of address
 * patterns (`*` for any characters, case-insensitive, matched against the whole address). With an
 * allowlist, only matching addresses get mail; the denylist wins over the allowlist.
 */
export class EmailAddressFilter {
  private readonly allow?: RegExp[];
  private readonly deny?: RegExp[];

  /**
   * Checks every pattern, throwing an `InputError` that names the config key of the first bad
   * one: a list that does not work must stop the backend, not send mail it should not.
   */
  constructor(options: {
    allowlist?: { key: string; patterns?: string[] };
    denylist?: { key: string; patterns?: string[] };
  }) {
    this.allow = compileList(
      options.allowlist?.patterns,
      options.allowlist?.key ?? 'allowlist',
    );
    this.deny = compileList(
      options.denylist?.patterns,
      options.denylist?.key ?? 'denylist',
    );
  }

  /** Whether a message may go to `address`. */
  allows(address: string): boolean {
    if (this.deny?.some(pattern => pattern.test(address))) {
      return false;
    }
    return this.allow
      ? this.allow.some(pattern => pattern.test(address))
      : true;
  }
}
