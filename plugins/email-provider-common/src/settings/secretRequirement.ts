import {
  isSameMicrosoft365Destination,
  isSameSmtpDestination,
  Microsoft365Destination,
  SmtpDestination,
} from './destination';
import type { Microsoft365Credential, SettingsFieldIssue } from './schema';

// The rule under which a saved credential may be kept when settings are saved again without it.
// The backend enforces it; the admin form applies it first, so the admin sees the same sentence
// next to the field before saving as the backend would answer after.

/**
 * Why a secret must be entered: none is saved for this provider (`missing`), the destination
 * changed (`destination-changed`), the saved Microsoft 365 settings use the other kind of
 * credential (`credential-changed`), or the saved SMTP settings send no authentication, so no
 * password is saved (`authentication-enabled`).
 *
 * @public
 */
export type SecretRequiredReason =
  | 'missing'
  | 'destination-changed'
  | 'credential-changed'
  | 'authentication-enabled';

/**
 * The write-only fields of the settings, by their path in the body of `PUT /settings`.
 *
 * @public
 */
export type SettingsSecretField =
  | 'smtp.password'
  | 'microsoft365.clientSecret'
  | 'microsoft365.clientCertificatePem';

/**
 * The saved SMTP settings, as far as the password rule needs them: without authentication there
 * is no password.
 *
 * @public
 */
export type SavedSmtpSecret =
  | (SmtpDestination & { passwordSet: boolean })
  | { authentication: 'none' };

/**
 * The saved Microsoft 365 settings, as far as the secret rule needs them; `secretSet` says
 * whether the credential they use (client secret or certificate) is saved.
 *
 * @public
 */
export type SavedMicrosoft365Secret = Microsoft365Destination & {
  secretSet: boolean;
};

/**
 * Why SMTP settings saved without a password need one, or undefined when the saved password may
 * be kept (same destination) or none is needed (no authentication). `saved` is undefined when
 * the saved provider is not SMTP.
 *
 * @public
 */
export function smtpPasswordRequiredReason(
  saved: SavedSmtpSecret | undefined,
  next: SmtpDestination,
): SecretRequiredReason | undefined {
  if (next.authentication === 'none') {
    return undefined;
  }
  if (!saved) {
    return 'missing';
  }
  if (saved.authentication === 'none') {
    return 'authentication-enabled';
  }
  if (!saved.passwordSet) {
    return 'missing';
  }
  return isSameSmtpDestination(saved, next) ? undefined : 'destination-changed';
}

/**
 * Why Microsoft 365 settings saved without their credential need it, or undefined when the saved
 * one may be kept. `saved` is undefined when the saved provider is not Microsoft 365.
 *
 * @public
 */
export function microsoft365SecretRequiredReason(
  saved: SavedMicrosoft365Secret | undefined,
  next: Microsoft365Destination,
): SecretRequiredReason | undefined {
  if (!saved) {
    return 'missing';
  }
  if ((saved.credential ?? 'secret') !== (next.credential ?? 'secret')) {
    return 'credential-changed';
  }
  if (!saved.secretSet) {
    return 'missing';
  }
  return isSameMicrosoft365Destination(saved, next)
    ? undefined
    : 'destination-changed';
}

/**
 * The field holding the Microsoft 365 credential of this kind.
 *
 * @public
 */
export function microsoft365SecretField(
  credential: Microsoft365Credential | undefined,
): SettingsSecretField {
  return credential === 'certificate'
    ? 'microsoft365.clientCertificatePem'
    : 'microsoft365.clientSecret';
}

/**
 * What the Microsoft 365 destination consists of, for the sentences asking for the secret again.
 *
 * @public
 */
export const MICROSOFT365_DESTINATION = 'tenant ID, client ID or cloud';

const SECRET_REQUIRED_MESSAGES: Record<
  SettingsSecretField,
  Partial<Record<SecretRequiredReason, string>> & { missing: string }
> = {
  'smtp.password': {
    missing: 'Password is required to activate SMTP',
    'destination-changed':
      'Password is required: the server address, port, security or username changed, and a saved password is never sent to a new destination',
    'authentication-enabled':
      'Password is required: the saved settings send no authentication, so no password is saved',
  },
  'microsoft365.clientSecret': {
    missing: 'Client secret is required to activate Microsoft 365',
    'destination-changed': `Client secret is required: the ${MICROSOFT365_DESTINATION} changed, and a saved secret is never sent to another application or cloud`,
    'credential-changed':
      'Client secret is required: the saved settings sign in with a certificate, not a client secret',
  },
  'microsoft365.clientCertificatePem': {
    missing:
      'Certificate and private key are required to activate Microsoft 365',
    'destination-changed': `Certificate and private key are required: the ${MICROSOFT365_DESTINATION} changed, and a saved certificate is never sent to another application or cloud`,
    'credential-changed':
      'Certificate and private key are required: the saved settings sign in with a client secret, not a certificate',
  },
};

/**
 * The problem to show, and to answer with, when a secret must be entered: its field and the
 * sentence saying why.
 *
 * @public
 */
export function secretRequiredIssue(
  field: SettingsSecretField,
  reason: SecretRequiredReason,
): SettingsFieldIssue {
  const messages = SECRET_REQUIRED_MESSAGES[field];
  return { field, message: messages[reason] ?? messages.missing };
}
