import type {
  Microsoft365Cloud,
  Microsoft365Credential,
  SmtpAuthentication,
  SmtpSecurity,
} from './schema';

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
  authentication?: SmtpAuthentication;
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
  cloud?: Microsoft365Cloud;
  credential?: Microsoft365Credential;
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
 * security, authentication and username), the rule under which a saved password may be kept without entering it
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
    (a.authentication ?? 'password') === (b.authentication ?? 'password') &&
    effectiveSmtpUsername(a) === effectiveSmtpUsername(b)
  );
}

/**
 * Whether two Microsoft 365 configurations are the same application in the same cloud with the
 * same kind of credential (tenant ID, client ID, cloud, credential), the rule under which a saved
 * client secret or certificate may be kept without entering it again.
 *
 * @public
 */
export function isSameMicrosoft365Destination(
  a: Microsoft365Destination,
  b: Microsoft365Destination,
): boolean {
  return (
    a.tenantId === b.tenantId &&
    a.clientId === b.clientId &&
    (a.cloud ?? 'global') === (b.cloud ?? 'global') &&
    (a.credential ?? 'secret') === (b.credential ?? 'secret')
  );
}
