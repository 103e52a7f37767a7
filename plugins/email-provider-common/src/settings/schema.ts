import { z } from 'zod';
import {
  certificatePemSchema,
  clientIdSchema,
  isoDateSchema,
  emailAddressSchema,
  portSchema,
  secretSchema,
  senderNameSchema,
  serverAddressSchema,
  smtpUsernameSchema,
  tenantIdSchema,
} from './fields';

function strictObject<T extends z.ZodRawShape>(shape: T, name: string) {
  return z.strictObject(shape, {
    error: issue => {
      if (issue.code === 'unrecognized_keys') {
        const plural = issue.keys.length > 1 ? 's' : '';
        return `Unknown field${plural} in ${name}: ${issue.keys.join(', ')}`;
      }
      if (issue.code === 'invalid_type') {
        return issue.input === undefined
          ? `${name} are required`
          : `${name} must be an object`;
      }
      return undefined;
    },
  });
}

/**
 * The ways an SMTP connection can be secured; see {@link SmtpSecurity}.
 *
 * @public
 */
export const SMTP_SECURITY_MODES = ['starttls', 'tls', 'none'] as const;

/**
 * How the SMTP connection is secured: `starttls` upgrades a plain connection and refuses to go on
 * without TLS, `tls` is TLS from the first byte (usually port 465), `none` is plain text.
 *
 * @public
 */
export type SmtpSecurity = (typeof SMTP_SECURITY_MODES)[number];

/**
 * Whether the SMTP server wants a sign-in; see {@link SmtpAuthentication}.
 *
 * @public
 */
export const SMTP_AUTHENTICATION_MODES = ['password', 'none'] as const;

/**
 * `password` (the default) signs in with a username and password; `none` sends no AUTH, for
 * relays that admit the portal by its address.
 *
 * @public
 */
export type SmtpAuthentication = (typeof SMTP_AUTHENTICATION_MODES)[number];

/**
 * How the portal proves itself to Microsoft Entra; see {@link Microsoft365Credential}.
 *
 * @public
 */
export const MICROSOFT365_CREDENTIALS = ['secret', 'certificate'] as const;

/**
 * `secret` (the default) is a client secret; `certificate` a certificate whose private key signs
 * a client assertion, as Microsoft recommends.
 *
 * @public
 */
export type Microsoft365Credential = (typeof MICROSOFT365_CREDENTIALS)[number];

/**
 * The Microsoft clouds a tenant can live in; see {@link Microsoft365Cloud}.
 *
 * @public
 */
export const MICROSOFT365_CLOUDS = [
  'global',
  'usgov-high',
  'usgov-dod',
  'china',
] as const;

/**
 * The Microsoft cloud of the tenant: `global` (the default), `usgov-high` (GCC High), `usgov-dod`
 * (DoD) or `china` (21Vianet). It decides the sign-in and Graph hosts.
 *
 * @public
 */
export type Microsoft365Cloud = (typeof MICROSOFT365_CLOUDS)[number];

/**
 * The SMTP settings in the body of `PUT /settings`, with the optional write-only `password`.
 *
 * @public
 */
export const smtpSettingsInputSchema = strictObject(
  {
    host: serverAddressSchema,
    port: portSchema,
    security: z.enum(SMTP_SECURITY_MODES, {
      error: 'Security must be one of starttls, tls or none',
    }),
    from: emailAddressSchema('Sender email address'),
    fromName: senderNameSchema.optional(),
    authentication: z
      .enum(SMTP_AUTHENTICATION_MODES, {
        error: 'Authentication must be password or none',
      })
      .optional(),
    usernameSameAsFrom: z
      .boolean({ error: 'Same as sender email address must be true or false' })
      .default(true),
    username: smtpUsernameSchema.optional(),
    password: secretSchema('Password').optional(),
  },
  'SMTP settings',
).superRefine((smtp, ctx) => {
  if (smtp.authentication === 'none') {
    for (const field of ['username', 'password'] as const) {
      if (smtp[field] !== undefined) {
        ctx.addIssue({
          code: 'custom',
          path: [field],
          message: `${
            field === 'username' ? 'Username' : 'Password'
          } must be left out when the server requires no authentication`,
        });
      }
    }
    return;
  }
  if (!smtp.usernameSameAsFrom && smtp.username === undefined) {
    ctx.addIssue({
      code: 'custom',
      path: ['username'],
      message:
        'Username is required unless it is the sender email address (usernameSameAsFrom)',
    });
  }
  if (
    smtp.usernameSameAsFrom &&
    smtp.username !== undefined &&
    smtp.username !== smtp.from
  ) {
    ctx.addIssue({
      code: 'custom',
      path: ['username'],
      message:
        'Username must be left out when it is the same as the sender email address',
    });
  }
});

/**
 * The Microsoft 365 settings in the body of `PUT /settings`, with the optional write-only
 * `clientSecret`.
 *
 * @public
 */
export const microsoft365SettingsInputSchema = strictObject(
  {
    from: emailAddressSchema('Sender email address'),
    tenantId: tenantIdSchema,
    clientId: clientIdSchema,
    cloud: z
      .enum(MICROSOFT365_CLOUDS, {
        error: 'Cloud must be one of global, usgov-high, usgov-dod or china',
      })
      .optional(),
    credential: z
      .enum(MICROSOFT365_CREDENTIALS, {
        error: 'Credential must be secret or certificate',
      })
      .optional(),
    clientSecret: secretSchema('Client secret').optional(),
    // The day the client secret expires, as Entra's "Expires" column shows it: the secret itself
    // cannot tell, and an expired one is the commonest Microsoft 365 outage.
    clientSecretExpiresAt: isoDateSchema('Client secret expiry').optional(),
    clientCertificatePem: certificatePemSchema.optional(),
    // The app also has the Mail.ReadWrite application permission: messages over 3 MB go
    // through a draft and upload sessions instead of being refused.
    largeMessages: z
      .boolean({ error: 'Large messages must be true or false' })
      .optional(),
  },
  'Microsoft 365 settings',
).superRefine((microsoft365, ctx) => {
  const certificate = microsoft365.credential === 'certificate';
  const misplaced = certificate
    ? (['clientSecret', 'clientSecretExpiresAt'] as const)
    : (['clientCertificatePem'] as const);
  for (const field of misplaced) {
    if (microsoft365[field] !== undefined) {
      ctx.addIssue({
        code: 'custom',
        path: [field],
        message: certificate
          ? `${
              field === 'clientSecret'
                ? 'Client secret'
                : 'Client secret expiry'
            } must be left out when the credential is a certificate`
          : 'Certificate and private key must be left out unless the credential is certificate',
      });
    }
  }
});

/**
 * The body of `PUT /settings`: the provider to activate and its settings, with the write-only
 * secret (`smtp.password`, `microsoft365.clientSecret`).
 *
 * @public
 */
export const emailProviderSettingsInputSchema = z.discriminatedUnion(
  'provider',
  [
    strictObject({ provider: z.literal('none') }, 'settings'),
    strictObject(
      {
        provider: z.literal('smtp'),
        smtp: smtpSettingsInputSchema,
      },
      'settings',
    ),
    strictObject(
      {
        provider: z.literal('microsoft365'),
        microsoft365: microsoft365SettingsInputSchema,
      },
      'settings',
    ),
  ],
  { error: 'Provider must be one of none, smtp or microsoft365' },
);

/**
 * SMTP settings as validated by {@link smtpSettingsInputSchema}.
 *
 * @public
 */
export type SmtpSettingsInput = z.output<typeof smtpSettingsInputSchema>;
/**
 * Microsoft 365 settings as validated by {@link microsoft365SettingsInputSchema}.
 *
 * @public
 */
export type Microsoft365SettingsInput = z.output<
  typeof microsoft365SettingsInputSchema
>;
/**
 * The body of `PUT /settings` as validated by {@link emailProviderSettingsInputSchema}.
 *
 * @public
 */
export type EmailProviderSettingsInput = z.output<
  typeof emailProviderSettingsInputSchema
>;

/**
 * One problem with a settings field, with its dotted path (`smtp.port`) and a sentence for the
 * admin.
 *
 * @public
 */
export type SettingsFieldIssue = { field: string; message: string };

/**
 * The outcome of {@link validateEmailProviderSettingsInput}: the validated settings, or every
 * problem found.
 *
 * @public
 */
export type SettingsValidationResult =
  | { success: true; data: EmailProviderSettingsInput }
  | { success: false; issues: SettingsFieldIssue[] };

/**
 * Validates settings as written by an admin, as the backend does before saving them.
 *
 * @public
 */
export function validateEmailProviderSettingsInput(
  value: unknown,
): SettingsValidationResult {
  const result = emailProviderSettingsInputSchema.safeParse(value);
  if (result.success) {
    return { success: true, data: result.data };
  }
  return {
    success: false,
    issues: result.error.issues.map(issue => ({
      field: issue.path.map(String).join('.') || 'body',
      message: issue.message,
    })),
  };
}
