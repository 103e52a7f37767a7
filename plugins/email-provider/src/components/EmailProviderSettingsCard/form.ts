import {
  EmailProviderSettings,
  EmailProviderSettingsInput,
  EmailProviderType,
  isSameMicrosoft365Destination,
  isSameSmtpDestination,
  Microsoft365Cloud,
  Microsoft365Credential,
  SmtpAuthentication,
  SmtpSecurity,
  validateEmailProviderSettingsInput,
} from '@email-provider/backstage-plugin-email-provider-common';

/**
 * SMTP fields as typed: strings until saved, the password empty unless entered. The username
 * fields keep what was typed while authentication is off, so ticking it again loses nothing.
 */
export type SmtpDraft = {
  host: string;
  port: string;
  security: SmtpSecurity;
  from: string;
  fromName: string;
  authentication: SmtpAuthentication;
  usernameSameAsFrom: boolean;
  username: string;
  password: string;
};

/**
 * Microsoft 365 fields as typed; the client secret and the certificate empty unless entered.
 * Both credentials' fields are kept, so switching the credential back and forth loses nothing.
 */
export type Microsoft365Draft = {
  from: string;
  tenantId: string;
  clientId: string;
  cloud: Microsoft365Cloud;
  credential: Microsoft365Credential;
  clientSecret: string;
  /** `YYYY-MM-DD`, as a date input holds it, or empty. */
  clientSecretExpiresAt: string;
  clientCertificatePem: string;
  largeMessages: boolean;
};

/**
 * The form: the chosen provider and the fields of both, so that switching back and forth loses
 * nothing typed.
 */
export type Draft = {
  provider: EmailProviderType;
  smtp: SmtpDraft;
  microsoft365: Microsoft365Draft;
};

/** Field paths as the shared schema and the server name them (`smtp.port`). */
export type FieldErrors = Record<string, string>;

/** The port each security mode usually runs on. */
export const SUGGESTED_PORTS: Record<SmtpSecurity, number> = {
  starttls: 587,
  tls: 465,
  none: 25,
};

export const SECURITY_LABELS: Record<SmtpSecurity, string> = {
  starttls: 'StartTLS',
  tls: 'SSL/TLS',
  none: 'None',
};

export const PROVIDER_LABELS: Record<EmailProviderType, string> = {
  none: 'None',
  smtp: 'SMTP',
  microsoft365: 'Microsoft 365',
};

export const CLOUD_LABELS: Record<Microsoft365Cloud, string> = {
  global: 'Global',
  'usgov-high': 'US Government (GCC High)',
  'usgov-dod': 'US Government (DoD)',
  china: 'China (21Vianet)',
};

export const CREDENTIAL_LABELS: Record<Microsoft365Credential, string> = {
  secret: 'Secret',
  certificate: 'Certificate',
};

const EMPTY_SMTP: SmtpDraft = {
  host: '',
  port: String(SUGGESTED_PORTS.starttls),
  security: 'starttls',
  from: '',
  fromName: '',
  authentication: 'password',
  usernameSameAsFrom: true,
  username: '',
  password: '',
};

const EMPTY_MICROSOFT365: Microsoft365Draft = {
  from: '',
  tenantId: '',
  clientId: '',
  cloud: 'global',
  credential: 'secret',
  clientSecret: '',
  clientSecretExpiresAt: '',
  clientCertificatePem: '',
  largeMessages: false,
};

/** The form for saved settings: their values, secrets empty (write-only). */
export function draftFromSettings(settings: EmailProviderSettings): Draft {
  const draft: Draft = {
    provider: settings.provider,
    smtp: { ...EMPTY_SMTP },
    microsoft365: { ...EMPTY_MICROSOFT365 },
  };
  if (settings.provider === 'smtp') {
    const { smtp } = settings;
    draft.smtp = {
      ...EMPTY_SMTP,
      host: smtp.host,
      port: String(smtp.port),
      security: smtp.security,
      from: smtp.from,
      fromName: smtp.fromName ?? '',
      ...(smtp.authentication === 'none'
        ? { authentication: 'none' }
        : {
            usernameSameAsFrom: smtp.usernameSameAsFrom,
            username: smtp.usernameSameAsFrom ? '' : smtp.username,
          }),
    };
  } else if (settings.provider === 'microsoft365') {
    const { microsoft365 } = settings;
    draft.microsoft365 = {
      ...EMPTY_MICROSOFT365,
      from: microsoft365.from,
      tenantId: microsoft365.tenantId,
      clientId: microsoft365.clientId,
      cloud: microsoft365.cloud ?? 'global',
      credential: microsoft365.credential ?? 'secret',
      // A date input holds the day only.
      clientSecretExpiresAt:
        microsoft365.clientSecretExpiresAt?.slice(0, 10) ?? '',
      largeMessages: microsoft365.largeMessages === true,
    };
  }
  return draft;
}

/** Anything typed that is not saved, in any provider's fields: leaving would lose it. */
export function hasUnsavedInput(draft: Draft, initial: Draft): boolean {
  return JSON.stringify(draft) !== JSON.stringify(initial);
}

/** Whether saving the form would change the active provider or its settings. */
export function differsFromSaved(draft: Draft, initial: Draft): boolean {
  if (draft.provider !== initial.provider) {
    return true;
  }
  if (draft.provider === 'none') {
    return false;
  }
  return (
    JSON.stringify(draft[draft.provider]) !==
    JSON.stringify(initial[draft.provider])
  );
}

/**
 * A new security mode, with the usual port for it unless the admin typed a port of their own
 * (one that is not the usual port of the previous mode).
 */
export function withSecurity(
  smtp: SmtpDraft,
  security: SmtpSecurity,
): SmtpDraft {
  const port = smtp.port.trim();
  const suggested =
    port === '' || port === String(SUGGESTED_PORTS[smtp.security]);
  return {
    ...smtp,
    security,
    port: suggested ? String(SUGGESTED_PORTS[security]) : smtp.port,
  };
}

/** A port typed in the form, as a number when it is one. */
function parsePort(port: string): number | undefined {
  const trimmed = port.trim();
  return /^\d{1,9}$/.test(trimmed) ? Number(trimmed) : undefined;
}

/**
 * Why a secret must be entered: there is none saved for this provider (`missing`), the
 * destination changed (`destination-changed`), the saved Microsoft 365 settings use the other
 * kind of credential (`credential-changed`), or the saved SMTP settings sign in with no
 * authentication, so there is no password (`authentication-enabled`).
 */
export type SecretRequiredReason =
  | 'missing'
  | 'destination-changed'
  | 'credential-changed'
  | 'authentication-enabled';

/**
 * Whether the secret field must be filled in: a saved secret may be kept only for the same
 * provider and the same destination (the backend's rule).
 */
export type SecretState =
  | { saved: true; required: false }
  | { saved: boolean; required: true; reason: SecretRequiredReason };

const MISSING: SecretState = {
  saved: false,
  required: true,
  reason: 'missing',
};

export function smtpSecretState(
  smtp: SmtpDraft,
  saved: EmailProviderSettings,
): SecretState {
  if (saved.provider !== 'smtp') {
    return MISSING;
  }
  if (saved.smtp.authentication === 'none') {
    return { saved: false, required: true, reason: 'authentication-enabled' };
  }
  if (!saved.smtp.passwordSet) {
    return MISSING;
  }
  const same = isSameSmtpDestination(saved.smtp, {
    host: smtp.host.trim(),
    port: parsePort(smtp.port) ?? NaN,
    security: smtp.security,
    authentication: smtp.authentication,
    from: smtp.from.trim(),
    usernameSameAsFrom: smtp.usernameSameAsFrom,
    username: smtp.usernameSameAsFrom ? undefined : smtp.username.trim(),
  });
  return same
    ? { saved: true, required: false }
    : { saved: true, required: true, reason: 'destination-changed' };
}

/** The state of the credential the form chose: the client secret or the certificate. */
export function microsoft365SecretState(
  microsoft365: Microsoft365Draft,
  saved: EmailProviderSettings,
): SecretState {
  if (saved.provider !== 'microsoft365') {
    return MISSING;
  }
  if ((saved.microsoft365.credential ?? 'secret') !== microsoft365.credential) {
    return { saved: false, required: true, reason: 'credential-changed' };
  }
  const isSet =
    microsoft365.credential === 'certificate'
      ? saved.microsoft365.clientCertificateSet === true
      : saved.microsoft365.clientSecretSet;
  if (!isSet) {
    return MISSING;
  }
  const same = isSameMicrosoft365Destination(saved.microsoft365, {
    tenantId: microsoft365.tenantId.trim(),
    clientId: microsoft365.clientId.trim(),
    cloud: microsoft365.cloud,
    credential: microsoft365.credential,
  });
  return same
    ? { saved: true, required: false }
    : { saved: true, required: true, reason: 'destination-changed' };
}

/** What the Microsoft 365 destination consists of, for the sentences asking for the secret again. */
export const MICROSOFT365_DESTINATION = 'tenant ID, client ID or cloud';

const SECRET_REQUIRED_MESSAGES: Record<
  'smtp' | 'microsoft365' | 'certificate',
  Partial<Record<SecretRequiredReason, string>> & { missing: string }
> = {
  smtp: {
    missing: 'Password is required to activate SMTP',
    'destination-changed':
      'Password is required: the server address, port, security or username changed, and a saved password is never sent to a new destination',
    'authentication-enabled':
      'Password is required: the saved settings send no authentication, so no password is saved',
  },
  microsoft365: {
    missing: 'Client secret is required to activate Microsoft 365',
    'destination-changed': `Client secret is required: the ${MICROSOFT365_DESTINATION} changed, and a saved secret is never sent to another application or cloud`,
    'credential-changed':
      'Client secret is required: the saved settings sign in with a certificate, not a client secret',
  },
  certificate: {
    missing:
      'Certificate and private key are required to activate Microsoft 365',
    'destination-changed': `Certificate and private key are required: the ${MICROSOFT365_DESTINATION} changed, and a saved certificate is never sent to another application or cloud`,
    'credential-changed':
      'Certificate and private key are required: the saved settings sign in with a client secret, not a certificate',
  },
};

/** The sentence saying why a secret is required, for the error next to its field. */
export function secretRequiredMessage(
  secret: keyof typeof SECRET_REQUIRED_MESSAGES,
  reason: SecretRequiredReason,
): string {
  const messages = SECRET_REQUIRED_MESSAGES[secret];
  return messages[reason] ?? messages.missing;
}

/** The fields the form shows, by their schema path. */
export const FIELD_PATHS = new Set([
  'smtp.host',
  'smtp.port',
  'smtp.security',
  'smtp.from',
  'smtp.fromName',
  'smtp.authentication',
  'smtp.usernameSameAsFrom',
  'smtp.username',
  'smtp.password',
  'microsoft365.from',
  'microsoft365.tenantId',
  'microsoft365.clientId',
  'microsoft365.cloud',
  'microsoft365.credential',
  'microsoft365.clientSecret',
  'microsoft365.clientSecretExpiresAt',
  'microsoft365.clientCertificatePem',
  'microsoft365.largeMessages',
]);

/** The form fields (schema paths) whose value differs between two drafts. */
export function changedFields(a: Draft, b: Draft): string[] {
  return [...FIELD_PATHS].filter(field => {
    const [section, key] = field.split('.') as [
      'smtp' | 'microsoft365',
      string,
    ];
    return (
      (a[section] as Record<string, unknown>)[key] !==
      (b[section] as Record<string, unknown>)[key]
    );
  });
}

/** The `PUT /settings` body the form describes, before validation. */
function toBody(draft: Draft): Record<string, unknown> {
  if (draft.provider === 'smtp') {
    const { smtp } = draft;
    return {
      provider: 'smtp',
      smtp: {
        host: smtp.host.trim(),
        port: parsePort(smtp.port),
        security: smtp.security,
        from: smtp.from.trim(),
        ...(smtp.fromName.trim() ? { fromName: smtp.fromName.trim() } : {}),
        ...(smtp.authentication === 'none'
          ? { authentication: 'none' }
          : {
              usernameSameAsFrom: smtp.usernameSameAsFrom,
              ...(smtp.usernameSameAsFrom
                ? {}
                : { username: smtp.username.trim() }),
              ...(smtp.password ? { password: smtp.password } : {}),
            }),
      },
    };
  }
  if (draft.provider === 'microsoft365') {
    const { microsoft365 } = draft;
    return {
      provider: 'microsoft365',
      microsoft365: {
        from: microsoft365.from.trim(),
        tenantId: microsoft365.tenantId.trim(),
        clientId: microsoft365.clientId.trim(),
        // Defaults are left out, as the backend reads them back.
        ...(microsoft365.cloud === 'global'
          ? {}
          : { cloud: microsoft365.cloud }),
        ...(microsoft365.credential === 'certificate'
          ? {
              credential: 'certificate',
              ...(microsoft365.clientCertificatePem.trim()
                ? { clientCertificatePem: microsoft365.clientCertificatePem }
                : {}),
            }
          : {
              ...(microsoft365.clientSecret
                ? { clientSecret: microsoft365.clientSecret }
                : {}),
              ...(microsoft365.clientSecretExpiresAt
                ? { clientSecretExpiresAt: microsoft365.clientSecretExpiresAt }
                : {}),
            }),
        ...(microsoft365.largeMessages ? { largeMessages: true } : {}),
      },
    };
  }
  return { provider: 'none' };
}

export type DraftValidation =
  | { ok: true; input: EmailProviderSettingsInput }
  | { ok: false; errors: FieldErrors; general: string[] };

/**
 * Checks the form with the shared schema (the backend's own) and the secret rule, naming each
 * problem by its field.
 */
export function validateDraft(
  draft: Draft,
  saved: EmailProviderSettings,
): DraftValidation {
  const result = validateEmailProviderSettingsInput(toBody(draft));
  const errors: FieldErrors = {};
  const general: string[] = [];
  const add = (field: string, message: string) => {
    if (!(field in errors)) {
      errors[field] = message;
    }
  };
  if (draft.provider === 'smtp') {
    const port = draft.smtp.port.trim();
    if (port !== '' && parsePort(port) === undefined) {
      add('smtp.port', 'Port must be a whole number between 1 and 65535');
    }
    const secret = smtpSecretState(draft.smtp, saved);
    if (
      draft.smtp.authentication === 'password' &&
      secret.required &&
      !draft.smtp.password
    ) {
      add('smtp.password', secretRequiredMessage('smtp', secret.reason));
    }
  } else if (draft.provider === 'microsoft365') {
    const { microsoft365 } = draft;
    const secret = microsoft365SecretState(microsoft365, saved);
    const certificate = microsoft365.credential === 'certificate';
    const entered = certificate
      ? microsoft365.clientCertificatePem.trim()
      : microsoft365.clientSecret;
    if (secret.required && !entered) {
      add(
        certificate
          ? 'microsoft365.clientCertificatePem'
          : 'microsoft365.clientSecret',
        secretRequiredMessage(
          certificate ? 'certificate' : 'microsoft365',
          secret.reason,
        ),
      );
    }
  }
  if (!result.success) {
    for (const issue of result.issues) {
      if (FIELD_PATHS.has(issue.field)) {
        add(issue.field, issue.message);
      } else {
        general.push(issue.message);
      }
    }
  }
  if (Object.keys(errors).length > 0 || general.length > 0) {
    return { ok: false, errors, general };
  }
  if (!result.success) {
    // Unreachable: every issue was recorded above.
    return { ok: false, errors, general: ['The settings are not valid'] };
  }
  return { ok: true, input: result.data };
}

/**
 * Splits a 400 message of the backend (`smtp.host: …; smtp.port: …`) into messages per form
 * field, keeping anything that names no field of the form as a general message.
 */
export function parseServerMessage(message: string): {
  errors: FieldErrors;
  general: string[];
} {
  const errors: FieldErrors = {};
  const general: string[] = [];
  for (const part of message.split(/; (?=[A-Za-z][\w.]*: )/)) {
    const match = /^([A-Za-z][\w.]*): ([\s\S]*)$/.exec(part);
    const field = match?.[1].replace(/^settings\./, '');
    if (match && field && FIELD_PATHS.has(field)) {
      if (!(field in errors)) {
        errors[field] = match[2];
      }
    } else {
      general.push(part);
    }
  }
  return { errors, general };
}

/** The settings as a short phrase: `SMTP (smtp.example.com:587)`. */
export function describeSettings(settings: EmailProviderSettings): string {
  if (settings.provider === 'smtp') {
    const security =
      settings.smtp.security === 'none'
        ? 'no encryption'
        : SECURITY_LABELS[settings.smtp.security];
    const signIn =
      settings.smtp.authentication === 'none' ? ', no authentication' : '';
    return `SMTP (${settings.smtp.host}:${settings.smtp.port}, ${security}${signIn})`;
  }
  if (settings.provider === 'microsoft365') {
    return `Microsoft 365 (${settings.microsoft365.from})`;
  }
  return 'None';
}
