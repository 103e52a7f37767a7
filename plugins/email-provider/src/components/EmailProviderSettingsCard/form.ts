import {
  EmailProviderSettings,
  EmailProviderSettingsInput,
  EmailProviderType,
  isSameMicrosoft365Destination,
  isSameSmtpDestination,
  SmtpSecurity,
  validateEmailProviderSettingsInput,
} from '@email-provider/backstage-plugin-email-provider-common';

/** SMTP fields as typed: strings until saved, the password empty unless entered. */
export type SmtpDraft = {
  host: string;
  port: string;
  security: SmtpSecurity;
  from: string;
  fromName: string;
  usernameSameAsFrom: boolean;
  username: string;
  password: string;
};

/** Microsoft 365 fields as typed; the client secret empty unless entered. */
export type Microsoft365Draft = {
  from: string;
  tenantId: string;
  clientId: string;
  clientSecret: string;
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

const EMPTY_SMTP: SmtpDraft = {
  host: '',
  port: String(SUGGESTED_PORTS.starttls),
  security: 'starttls',
  from: '',
  fromName: '',
  usernameSameAsFrom: true,
  username: '',
  password: '',
};

const EMPTY_MICROSOFT365: Microsoft365Draft = {
  from: '',
  tenantId: '',
  clientId: '',
  clientSecret: '',
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
      host: smtp.host,
      port: String(smtp.port),
      security: smtp.security,
      from: smtp.from,
      fromName: smtp.fromName ?? '',
      usernameSameAsFrom: smtp.usernameSameAsFrom,
      username: smtp.usernameSameAsFrom ? '' : smtp.username,
      password: '',
    };
  } else if (settings.provider === 'microsoft365') {
    const { microsoft365 } = settings;
    draft.microsoft365 = {
      from: microsoft365.from,
      tenantId: microsoft365.tenantId,
      clientId: microsoft365.clientId,
      clientSecret: '',
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
 * Whether the secret field must be filled in: a saved secret may be kept only for the same
 * provider and the same destination (the backend's rule).
 */
export type SecretState =
  | { saved: true; required: false }
  | {
      saved: boolean;
      required: true;
      reason: 'missing' | 'destination-changed';
    };

export function smtpSecretState(
  smtp: SmtpDraft,
  saved: EmailProviderSettings,
): SecretState {
  if (saved.provider !== 'smtp' || !saved.smtp.passwordSet) {
    return { saved: false, required: true, reason: 'missing' };
  }
  const same = isSameSmtpDestination(saved.smtp, {
    host: smtp.host.trim(),
    port: parsePort(smtp.port) ?? NaN,
    security: smtp.security,
    from: smtp.from.trim(),
    usernameSameAsFrom: smtp.usernameSameAsFrom,
    username: smtp.usernameSameAsFrom ? undefined : smtp.username.trim(),
  });
  return same
    ? { saved: true, required: false }
    : { saved: true, required: true, reason: 'destination-changed' };
}

export function microsoft365SecretState(
  microsoft365: Microsoft365Draft,
  saved: EmailProviderSettings,
): SecretState {
  if (
    saved.provider !== 'microsoft365' ||
    !saved.microsoft365.clientSecretSet
  ) {
    return { saved: false, required: true, reason: 'missing' };
  }
  const same = isSameMicrosoft365Destination(saved.microsoft365, {
    tenantId: microsoft365.tenantId.trim(),
    clientId: microsoft365.clientId.trim(),
  });
  return same
    ? { saved: true, required: false }
    : { saved: true, required: true, reason: 'destination-changed' };
}

export const SECRET_REQUIRED_MESSAGES = {
  smtp: {
    missing: 'Password is required to activate SMTP',
    'destination-changed':
      'Password is required: the server address, port, security or username changed, and a saved password is never sent to a new destination',
  },
  microsoft365: {
    missing: 'Client secret is required to activate Microsoft 365',
    'destination-changed':
      'Client secret is required: the tenant ID or client ID changed, and a saved secret is never sent to another application',
  },
} as const;

/** The fields the form shows, by their schema path. */
export const FIELD_PATHS = new Set([
  'smtp.host',
  'smtp.port',
  'smtp.security',
  'smtp.from',
  'smtp.fromName',
  'smtp.usernameSameAsFrom',
  'smtp.username',
  'smtp.password',
  'microsoft365.from',
  'microsoft365.tenantId',
  'microsoft365.clientId',
  'microsoft365.clientSecret',
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
        usernameSameAsFrom: smtp.usernameSameAsFrom,
        ...(smtp.usernameSameAsFrom ? {} : { username: smtp.username.trim() }),
        ...(smtp.password ? { password: smtp.password } : {}),
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
        ...(microsoft365.clientSecret
          ? { clientSecret: microsoft365.clientSecret }
          : {}),
        // Off is left out, as the backend reads it back.
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
    if (secret.required && !draft.smtp.password) {
      add('smtp.password', SECRET_REQUIRED_MESSAGES.smtp[secret.reason]);
    }
  } else if (draft.provider === 'microsoft365') {
    const secret = microsoft365SecretState(draft.microsoft365, saved);
    if (secret.required && !draft.microsoft365.clientSecret) {
      add(
        'microsoft365.clientSecret',
        SECRET_REQUIRED_MESSAGES.microsoft365[secret.reason],
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
    return `SMTP (${settings.smtp.host}:${settings.smtp.port}, ${security})`;
  }
  if (settings.provider === 'microsoft365') {
    return `Microsoft 365 (${settings.microsoft365.from})`;
  }
  return 'None';
}
