import {
  EmailProviderSettings,
  EmailProviderType,
  Microsoft365Cloud,
  Microsoft365Credential,
  SmtpAuthentication,
  SmtpSecurity,
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

/** The port each security mode usually runs on. */
export const SUGGESTED_PORTS: Record<SmtpSecurity, number> = {
  starttls: 587,
  tls: 465,
  none: 25,
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
export function parsePort(port: string): number | undefined {
  const trimmed = port.trim();
  return /^\d{1,9}$/.test(trimmed) ? Number(trimmed) : undefined;
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

/** The `PUT /settings` body the form describes, before validation (the schema checks it). */
export function draftToBody(draft: Draft): Record<string, unknown> {
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
