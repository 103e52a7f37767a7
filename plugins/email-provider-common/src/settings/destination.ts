import type { SmtpSecurity } from './schema';

/**
 * The parts of SMTP settings that say where a password goes: a saved password may be kept only
 * while all of them stay the same.
 *
 * @public
 */
export type SmtpDestination = {
  host: string;
  port: number;
  security: SmtpSecurity;
  from: string;
  usernameSameAsFrom: boolean;
  username?: string;
};

/**
 * The parts of Microsoft 365 settings that say which application a client secret belongs to.
 *
 * @public
 */
export type Microsoft365Destination = {
  tenantId: string;
  clientId: string;
};

/**
 * The username the server sees: the sender address when `usernameSameAsFrom` is set.
 *
 * @public
 */
export function effectiveSmtpUsername(settings: SmtpDestination): string {
  return settings.usernameSameAsFrom
    ? settings.from
    : settings.username ?? settings.from;
}

/**
 * Whether two SMTP configurations send their password to the same place (server address, port,
 * security and username), the rule under which a saved password may be kept without entering it
 * again. Host names compare case-insensitively.
 *
 * @public
 */
export function isSameSmtpDestination(
  a: SmtpDestination,
  b: SmtpDestination,
): boolean {
  return (
    a.host.toLocaleLowerCase('en-US') === b.host.toLocaleLowerCase('en-US') &&
    a.port === b.port &&
    a.security === b.security &&
    effectiveSmtpUsername(a) === effectiveSmtpUsername(b)
  );
}

/**
 * Whether two Microsoft 365 configurations are the same application (tenant ID and client ID),
 * the rule under which a saved client secret may be kept without entering it again.
 *
 * @public
 */
export function isSameMicrosoft365Destination(
  a: Microsoft365Destination,
  b: Microsoft365Destination,
): boolean {
  return a.tenantId === b.tenantId && a.clientId === b.clientId;
}
