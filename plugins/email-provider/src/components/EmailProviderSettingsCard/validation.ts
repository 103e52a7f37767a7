import {
  EmailProviderSettings,
  EmailProviderSettingsInput,
  fieldIssuesOf,
  microsoft365SecretField,
  microsoft365SecretRequiredReason,
  SecretRequiredReason,
  secretRequiredIssue,
  SettingsFieldIssue,
  SettingsSecretField,
  smtpPasswordRequiredReason,
  validateEmailProviderSettingsInput,
} from '@email-provider/backstage-plugin-email-provider-common';
import { ResponseError } from '@backstage/errors';
import { useTranslationRef } from '@backstage/frontend-plugin-api';
import { useMemo } from 'react';
import {
  emailProviderMessages,
  emailProviderTranslationRef,
} from '../../translation';
import {
  Draft,
  draftToBody,
  FIELD_PATHS,
  Microsoft365Draft,
  parsePort,
  SmtpDraft,
} from './draft';

/** Messages by field path, as the shared schema and the server name them (`smtp.port`). */
export type FieldErrors = Record<string, string>;

const PORT_NOT_WHOLE_NUMBER =
  emailProviderMessages.fields.errors.portNotWholeNumber;

/** The secret rule's sentences of `-common`, by field and reason, and their translation keys. */
const SECRET_REQUIRED_KEYS = [
  ['smtp.password', 'missing', 'fields.errors.secretRequired.password.missing'],
  [
    'smtp.password',
    'destination-changed',
    'fields.errors.secretRequired.password.destination-changed',
  ],
  [
    'smtp.password',
    'authentication-enabled',
    'fields.errors.secretRequired.password.authentication-enabled',
  ],
  [
    'microsoft365.clientSecret',
    'missing',
    'fields.errors.secretRequired.clientSecret.missing',
  ],
  [
    'microsoft365.clientSecret',
    'destination-changed',
    'fields.errors.secretRequired.clientSecret.destination-changed',
  ],
  [
    'microsoft365.clientSecret',
    'credential-changed',
    'fields.errors.secretRequired.clientSecret.credential-changed',
  ],
  [
    'microsoft365.clientCertificatePem',
    'missing',
    'fields.errors.secretRequired.certificate.missing',
  ],
  [
    'microsoft365.clientCertificatePem',
    'destination-changed',
    'fields.errors.secretRequired.certificate.destination-changed',
  ],
  [
    'microsoft365.clientCertificatePem',
    'credential-changed',
    'fields.errors.secretRequired.certificate.credential-changed',
  ],
] as const satisfies ReadonlyArray<
  readonly [SettingsSecretField, SecretRequiredReason, string]
>;

/** The shared schema's sentences (`-common`) that the form can run into, by their name. */
const SCHEMA_SENTENCES = emailProviderMessages.fields.errors.schema;

type TranslationKey =
  | 'fields.errors.portNotWholeNumber'
  | `fields.errors.schema.${keyof typeof SCHEMA_SENTENCES}`
  | (typeof SECRET_REQUIRED_KEYS)[number][2];

/**
 * The English sentences of the form's checks by their translation key. The form keeps them in
 * English, as the backend answers with the same sentences (the shared schema and secret rule);
 * they are translated where shown.
 */
const TRANSLATION_KEYS = new Map<string, TranslationKey>([
  [PORT_NOT_WHOLE_NUMBER, 'fields.errors.portNotWholeNumber'],
  ...Object.entries(SCHEMA_SENTENCES).map(
    ([name, sentence]) =>
      [sentence, `fields.errors.schema.${name}` as TranslationKey] as const,
  ),
  ...SECRET_REQUIRED_KEYS.map(
    ([field, reason, key]) =>
      [secretRequiredIssue(field, reason).message, key] as const,
  ),
]);

/**
 * The field errors in the page's language: a sentence of the form's own checks (or the same
 * sentence from the backend) translated, any other as it came.
 */
export function useTranslatedFieldErrors(errors: FieldErrors): FieldErrors {
  const { t } = useTranslationRef(emailProviderTranslationRef);
  return useMemo(
    () =>
      Object.fromEntries(
        Object.entries(errors).map(([field, message]) => {
          const key = TRANSLATION_KEYS.get(message);
          return [field, key ? t(key) : message];
        }),
      ),
    [errors, t],
  );
}

/**
 * Whether the secret field must be filled in: a saved secret may be kept only for the same
 * provider and the same destination (the rule from `-common`, which the backend applies too).
 */
export type SecretState =
  | { saved: true; required: false }
  | { saved: boolean; required: true; reason: SecretRequiredReason };

function secretState(
  saved: boolean,
  reason: SecretRequiredReason | undefined,
): SecretState {
  if (!reason) {
    return { saved: true, required: false };
  }
  // A secret of the other kind, or of settings without authentication, is not this one.
  const kept =
    saved &&
    reason !== 'credential-changed' &&
    reason !== 'authentication-enabled';
  return { saved: kept, required: true, reason };
}

export function smtpSecretState(
  smtp: SmtpDraft,
  saved: EmailProviderSettings,
): SecretState {
  const previous = saved.provider === 'smtp' ? saved.smtp : undefined;
  const reason = smtpPasswordRequiredReason(previous, {
    host: smtp.host.trim(),
    port: parsePort(smtp.port) ?? NaN,
    security: smtp.security,
    // The state of the password field, which is shown only when the form signs in.
    authentication: 'password',
    from: smtp.from.trim(),
    usernameSameAsFrom: smtp.usernameSameAsFrom,
    username: smtp.usernameSameAsFrom ? undefined : smtp.username.trim(),
  });
  return secretState(previous?.passwordSet === true, reason);
}

/** The state of the credential the form chose: the client secret or the certificate. */
export function microsoft365SecretState(
  microsoft365: Microsoft365Draft,
  saved: EmailProviderSettings,
): SecretState {
  const previous =
    saved.provider === 'microsoft365' ? saved.microsoft365 : undefined;
  const secretSet =
    previous?.credential === 'certificate'
      ? previous.clientCertificateSet === true
      : previous?.clientSecretSet === true;
  const reason = microsoft365SecretRequiredReason(
    previous && { ...previous, secretSet },
    {
      tenantId: microsoft365.tenantId.trim(),
      clientId: microsoft365.clientId.trim(),
      cloud: microsoft365.cloud,
      credential: microsoft365.credential,
    },
  );
  return secretState(secretSet, reason);
}

export type DraftValidation =
  | { ok: true; input: EmailProviderSettingsInput }
  | { ok: false; errors: FieldErrors; general: string[] };

/**
 * Problems by form field, and those that name no field of the form. A field named under
 * `prefix` (`settings.` in the answer of `/verify`) is the form's field without it.
 */
export function fieldErrorsFromIssues(
  issues: SettingsFieldIssue[],
  prefix = '',
): { errors: FieldErrors; others: SettingsFieldIssue[] } {
  const errors: FieldErrors = {};
  const others: SettingsFieldIssue[] = [];
  for (const issue of issues) {
    const field = issue.field.startsWith(prefix)
      ? issue.field.slice(prefix.length)
      : issue.field;
    if (!FIELD_PATHS.has(field)) {
      others.push(issue);
    } else if (!(field in errors)) {
      errors[field] = issue.message;
    }
  }
  return { errors, others };
}

/**
 * What a 400 answer says is wrong, by form field, from the `issues` of its error; what names no
 * field of the form (or an answer without issues) as sentences.
 */
export function refusalOf(
  error: ResponseError,
  prefix = '',
): { errors: FieldErrors; general: string[] } {
  const issues = fieldIssuesOf(error.body?.error);
  if (issues.length === 0) {
    return {
      errors: {},
      general: [error.body?.error?.message ?? error.message],
    };
  }
  const { errors, others } = fieldErrorsFromIssues(issues, prefix);
  return {
    errors,
    general: others.map(issue => `${issue.field}: ${issue.message}`),
  };
}

/**
 * Checks the form with the shared schema (the backend's own) and the secret rule, naming each
 * problem by its field.
 */
export function validateDraft(
  draft: Draft,
  saved: EmailProviderSettings,
): DraftValidation {
  const result = validateEmailProviderSettingsInput(draftToBody(draft));
  const issues: SettingsFieldIssue[] = [];
  if (draft.provider === 'smtp') {
    const port = draft.smtp.port.trim();
    if (port !== '' && parsePort(port) === undefined) {
      issues.push({
        field: 'smtp.port',
        message: PORT_NOT_WHOLE_NUMBER,
      });
    }
    const secret = smtpSecretState(draft.smtp, saved);
    if (
      draft.smtp.authentication === 'password' &&
      secret.required &&
      !draft.smtp.password
    ) {
      issues.push(secretRequiredIssue('smtp.password', secret.reason));
    }
  } else if (draft.provider === 'microsoft365') {
    const { microsoft365 } = draft;
    const secret = microsoft365SecretState(microsoft365, saved);
    const entered =
      microsoft365.credential === 'certificate'
        ? microsoft365.clientCertificatePem.trim()
        : microsoft365.clientSecret;
    if (secret.required && !entered) {
      issues.push(
        secretRequiredIssue(
          microsoft365SecretField(microsoft365.credential),
          secret.reason,
        ),
      );
    }
  }
  if (!result.success) {
    issues.push(...result.issues);
  }
  if (issues.length > 0 || !result.success) {
    const { errors, others } = fieldErrorsFromIssues(issues);
    return { ok: false, errors, general: others.map(issue => issue.message) };
  }
  return { ok: true, input: result.data };
}
