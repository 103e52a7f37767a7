import { z } from 'zod';

// Field rules shared by the admin form and the backend. They are deliberately stricter than the
// RFCs allow: every value here ends up in an SMTP command, a mail header or a URL path, so anything
// that could be read two ways (comments, display names, quoted local parts, numeric host spellings)
// is refused instead of being interpreted.

// eslint-disable-next-line no-control-regex
const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/;
const IPV4 =
  /^(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)$/;
const HOSTNAME_LABEL = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/i;
const DOT_ATOM_LOCAL_PART =
  /^[a-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[a-z0-9!#$%&'*+/=?^_`{|}~-]+)*$/i;
const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

// RFC 5321 section 4.5.3.1: a local part is at most 64 octets and a path at most 256 octets
// including its angle brackets, so an address at most 254.
const MAX_LOCAL_PART_LENGTH = 64;
const MAX_HOSTNAME_LENGTH = 253;

/**
 * The longest email address accepted: 254 characters, the most an SMTP path allows (RFC 5321).
 *
 * @public
 */
export const MAX_EMAIL_ADDRESS_LENGTH = 254;
/**
 * The longest SMTP password or Microsoft 365 client secret accepted.
 *
 * @public
 */
export const MAX_SECRET_LENGTH = 1024;
/**
 * The longest certificate-and-private-key PEM accepted (a 4096-bit RSA key with a chain fits).
 *
 * @public
 */
export const MAX_CERTIFICATE_PEM_LENGTH = 32 * 1024;
/**
 * The longest sender display name accepted.
 *
 * @public
 */
export const MAX_SENDER_NAME_LENGTH = 200;

/**
 * Whether `value` is an IPv4 address in dotted-decimal form, without leading zeros.
 *
 * @public
 */
export function isIPv4Address(value: string): boolean {
  return IPV4.test(value);
}

/**
 * Whether `value` is an IPv6 address, compressed (`::`) or with an IPv4 tail (`::ffff:192.0.2.1`).
 *
 * @public
 */
export function isIPv6Address(value: string): boolean {
  let rest = value;
  // An embedded IPv4 tail (::ffff:192.0.2.1) stands for the last two groups.
  let groupsNeeded = 8;
  const lastColon = rest.lastIndexOf(':');
  if (lastColon >= 0 && rest.includes('.', lastColon)) {
    if (!isIPv4Address(rest.slice(lastColon + 1))) {
      return false;
    }
    rest = `${rest.slice(0, lastColon + 1)}0`;
    groupsNeeded = 7;
  }
  const halves = rest.split('::');
  if (halves.length > 2) {
    return false;
  }
  const groups = halves.flatMap(half => (half === '' ? [] : half.split(':')));
  if (!groups.every(group => /^[0-9a-f]{1,4}$/i.test(group))) {
    return false;
  }
  return halves.length === 2
    ? groups.length < groupsNeeded
    : groups.length === groupsNeeded;
}

/**
 * A DNS host name of letters, digits and hyphens. A name whose last label is numeric is refused,
 * since resolvers read such names (`2852039166`, `0x7f.1`) as IPv4 addresses in other spellings.
 *
 * @public
 */
export function isHostname(value: string): boolean {
  const name = value.endsWith('.') ? value.slice(0, -1) : value;
  if (name.length === 0 || name.length > MAX_HOSTNAME_LENGTH) {
    return false;
  }
  const labels = name.split('.');
  const last = labels[labels.length - 1];
  return (
    labels.every(label => HOSTNAME_LABEL.test(label)) &&
    !/^\d+$/.test(last) &&
    !/^0x[0-9a-f]*$/i.test(last)
  );
}

/**
 * A host name or an IP address literal (IPv6 without brackets).
 *
 * @public
 */
export function isServerAddress(value: string): boolean {
  return isHostname(value) || isIPv4Address(value) || isIPv6Address(value);
}

/**
 * What is wrong with a typed email address, for a page to say in its own language: longer than
 * an address may be, or not a single plain address ({@link isEmailAddress}). The same rules as
 * `emailAddressSchema`, without its English sentences.
 *
 * @public
 */
export type EmailAddressProblem = 'tooLong' | 'invalid';

/**
 * The problem of a typed email address, or undefined when it is one.
 *
 * @public
 */
export function emailAddressProblem(
  value: string,
): EmailAddressProblem | undefined {
  if (value.length > MAX_EMAIL_ADDRESS_LENGTH) {
    return 'tooLong';
  }
  return isEmailAddress(value) ? undefined : 'invalid';
}

/**
 * A single plain address (`local@domain`): a dot-atom local part and a host name, within the
 * length limits of RFC 5321. No display name, comments, quoted strings or address literals.
 *
 * @public
 */
export function isEmailAddress(value: string): boolean {
  if (value.length > MAX_EMAIL_ADDRESS_LENGTH) {
    return false;
  }
  const at = value.lastIndexOf('@');
  if (at <= 0) {
    return false;
  }
  const localPart = value.slice(0, at);
  const domain = value.slice(at + 1);
  return (
    localPart.length <= MAX_LOCAL_PART_LENGTH &&
    DOT_ATOM_LOCAL_PART.test(localPart) &&
    !domain.endsWith('.') &&
    isHostname(domain)
  );
}

/**
 * Whether `value` is a GUID such as `8f3e0e0c-1d2b-4a5c-9e7f-0a1b2c3d4e5f`, as Entra ID tenant and client IDs are.
 *
 * @public
 */
export function isGuid(value: string): boolean {
  return GUID.test(value);
}

/**
 * Whether `value` contains a control character or a line or paragraph separator, which could
 * start a new SMTP command or mail header.
 *
 * @public
 */
export function hasControlCharacters(value: string): boolean {
  return CONTROL_CHARACTERS.test(value);
}

function text(field: string) {
  return z.string({
    error: issue =>
      issue.input === undefined
        ? `${field} is required`
        : `${field} must be a string`,
  });
}

/**
 * A mail server address: a host name or an IP address, without scheme, port or path.
 *
 * @public
 */
export const serverAddressSchema = text('Server address')
  .min(1, 'Server address is required')
  .refine(
    isServerAddress,
    'Server address must be a host name or an IP address, without scheme, port, path or spaces (for example smtp.example.com)',
  );

/**
 * A TCP port number, 1 to 65535.
 *
 * @public
 */
export const portSchema = z
  .number({
    error: issue =>
      issue.input === undefined
        ? 'Port is required'
        : 'Port must be a number, not a string',
  })
  .int('Port must be a whole number')
  .min(1, 'Port must be between 1 and 65535')
  .max(65535, 'Port must be between 1 and 65535');

/**
 * A single plain email address (`name@example.com`), without a display name, comments or quotes;
 * `field` names the value in the error messages.
 *
 * @public
 */
export function emailAddressSchema(field: string) {
  return text(field)
    .min(1, `${field} is required`)
    .max(
      MAX_EMAIL_ADDRESS_LENGTH,
      `${field} must be at most ${MAX_EMAIL_ADDRESS_LENGTH} characters`,
    )
    .refine(
      isEmailAddress,
      `${field} must be a single plain address such as name@example.com, without a display name, comments or quotes`,
    );
}

/**
 * SMTP login names are not always addresses (Amazon SES access keys, Postfix SASL users), so a
 * plain login name is accepted too; anything with an `@` must be a valid address.
 *
 * @public
 */
export const smtpUsernameSchema = text('Username')
  .min(1, 'Username is required unless it is the sender email address')
  .max(
    MAX_EMAIL_ADDRESS_LENGTH,
    `Username must be at most ${MAX_EMAIL_ADDRESS_LENGTH} characters`,
  )
  .refine(
    value =>
      value.includes('@')
        ? isEmailAddress(value)
        : /^[\x21-\x7e]+$/.test(value) && !/[<>()",;:\\[\]]/.test(value),
    'Username must be a single plain address (name@example.com) or a login name, without spaces, quotes, angle brackets or a display name',
  );

/**
 * The display name of the sender, one line without control characters.
 *
 * @public
 */
export const senderNameSchema = text('Sender name')
  .max(
    MAX_SENDER_NAME_LENGTH,
    `Sender name must be at most ${MAX_SENDER_NAME_LENGTH} characters`,
  )
  .refine(
    value => !hasControlCharacters(value),
    'Sender name must be a single line without control characters',
  );

/**
 * A write-only secret (SMTP password, Microsoft 365 client secret) as it is sent to be saved;
 * `field` names the value in the error messages.
 *
 * @public
 */
export function secretSchema(field: string) {
  return text(field)
    .min(1, `${field} must not be empty; leave it out to keep the saved one`)
    .max(
      MAX_SECRET_LENGTH,
      `${field} must be at most ${MAX_SECRET_LENGTH} characters`,
    )
    .refine(
      value => !hasControlCharacters(value),
      `${field} must not contain line breaks or control characters`,
    );
}

/**
 * The Entra ID directory (tenant) ID: a GUID or a verified domain such as `contoso.onmicrosoft.com`.
 *
 * @public
 */
export const tenantIdSchema = text('Tenant ID')
  .min(1, 'Tenant ID is required')
  .refine(
    value =>
      isGuid(value) ||
      (value.includes('.') && !value.endsWith('.') && isHostname(value)),
    'Tenant ID must be the directory (tenant) ID, a GUID such as 8f3e0e0c-1d2b-4a5c-9e7f-0a1b2c3d4e5f, or a verified domain such as contoso.onmicrosoft.com',
  );

/**
 * The Entra ID application (client) ID, a GUID.
 *
 * @public
 */
export const clientIdSchema = text('Client ID')
  .min(1, 'Client ID is required')
  .refine(
    isGuid,
    'Client ID must be the application (client) ID, a GUID such as 8f3e0e0c-1d2b-4a5c-9e7f-0a1b2c3d4e5f',
  );

const PEM_CERTIFICATE =
  /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/;
const PEM_PRIVATE_KEY =
  /-----BEGIN (?:RSA |EC |ENCRYPTED )?PRIVATE KEY-----[\s\S]+?-----END (?:RSA |EC |ENCRYPTED )?PRIVATE KEY-----/;

/**
 * A certificate with its private key, both PEM, pasted as one text (the `.pem` Entra's
 * documentation has you create, or `cat cert.pem key.pem`). Write-only, like a secret. Whether the
 * key matches the certificate is checked where it can be, in the backend.
 *
 * @public
 */
export const certificatePemSchema = text('Certificate and private key')
  .min(
    1,
    'Certificate and private key must not be empty; leave them out to keep the saved ones',
  )
  .max(
    MAX_CERTIFICATE_PEM_LENGTH,
    `Certificate and private key must be at most ${MAX_CERTIFICATE_PEM_LENGTH} characters`,
  )
  .refine(
    value => PEM_CERTIFICATE.test(value),
    'Certificate and private key must contain the certificate, from -----BEGIN CERTIFICATE----- to -----END CERTIFICATE-----',
  )
  .refine(
    value => !/ENCRYPTED PRIVATE KEY|Proc-Type: 4,ENCRYPTED/.test(value),
    'The private key must not be protected by a passphrase; export it without one',
  )
  .refine(
    value => PEM_PRIVATE_KEY.test(value),
    'Certificate and private key must contain the private key, from -----BEGIN PRIVATE KEY----- to -----END PRIVATE KEY-----',
  );

const ISO_DATE =
  /^\d{4}-\d{2}-\d{2}(?:T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:\d{2}))?$/;

/**
 * A day or a moment, ISO 8601 (`2027-06-30`, or `2027-06-30T12:00:00Z`); `field` names the value
 * in the error messages.
 *
 * @public
 */
export function isoDateSchema(field: string) {
  return text(field).refine(
    value => ISO_DATE.test(value) && isCalendarDay(value.slice(0, 10)),
    `${field} must be a date such as 2027-06-30`,
  );
}

// Date.parse takes 2027-02-30 as the 2nd of March; a day that is not on the calendar is a typo.
function isCalendarDay(day: string): boolean {
  const parsed = new Date(`${day}T00:00:00Z`);
  return (
    !Number.isNaN(parsed.getTime()) && parsed.toISOString().slice(0, 10) === day
  );
}
