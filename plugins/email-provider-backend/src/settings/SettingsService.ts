import { ConflictError, InputError } from '@backstage/errors';
import {
  EmailProviderSettings,
  MANAGED_BY_CONFIG,
  MANAGED_SETTINGS_CONFIG_KEY,
  EmailProviderSettingsInput,
  EmailProviderType,
  effectiveSmtpUsername,
  microsoft365SecretField,
  microsoft365SecretRequiredReason,
  SecretRequiredReason,
  secretRequiredIssue,
  SettingsSecretField,
  smtpPasswordRequiredReason,
} from '@email-provider/backstage-plugin-email-provider-common';
import {
  DatabaseSettingsStore,
  SavedMicrosoft365Settings,
  SavedProvider,
  SavedSmtpSettings,
  SettingsRecord,
} from './DatabaseSettingsStore';
import { certificateInfo, parseClientCertificate } from './ClientCertificate';
import { FieldInputError } from './FieldInputError';
import { SecretCipher, SecretContext } from './SecretCipher';

/**
 * What a save changed, for the audit log: field names only, never values of secrets.
 */
export type SettingsChange = {
  previousProvider: EmailProviderType;
  provider: EmailProviderType;
  version: number;
  changedFields: string[];
};

/** The active provider with its secret decrypted, for the code that sends mail. */
export type ActiveProvider =
  | {
      provider: 'smtp';
      smtp: SavedSmtpSettings;
      /** Absent when the server requires no authentication. */
      password?: string;
    }
  | {
      provider: 'microsoft365';
      microsoft365: SavedMicrosoft365Settings;
      /** With the `secret` credential (the default). */
      clientSecret?: string;
      /** With the `certificate` credential: the certificate and its private key, PEM. */
      clientCertificatePem?: string;
    };

/** What differs between providers in how their secret is kept. */
type SecretRules<S> = {
  /** The secret's field, as named in the API and the audit log. */
  field(settings: S): SettingsSecretField;
  /** Whether these settings need a secret at all. */
  required(settings: S): boolean;
  /** Bound into each ciphertext, so a secret moved to another provider's row fails. */
  provider: string;
  /**
   * Where the secret goes, bound into each ciphertext, so a secret whose row was edited in the
   * database to point elsewhere fails: the fields `requiredReason` compares, compared alike.
   */
  destination(settings: S): SecretContext['destination'];
  /**
   * Why these settings need their secret entered, or undefined when the saved one may go along
   * (same server and identity): the rule the admin form applies too, from `-common`.
   */
  requiredReason(
    previous: { settings: S; secret?: string } | undefined,
    next: S,
  ): SecretRequiredReason | undefined;
};

const SMTP_SECRET: SecretRules<SavedSmtpSettings> = {
  field: () => 'smtp.password',
  required: smtp => smtp.authentication !== 'none',
  provider: 'email-provider/smtp',
  // Only settings that sign in have a secret, so `authentication` is always `password` here.
  destination: smtp => [
    smtp.host.toLocaleLowerCase('en-US'),
    smtp.port,
    smtp.security,
    effectiveSmtpUsername(smtp),
  ],
  requiredReason: (previous, next) =>
    smtpPasswordRequiredReason(
      previous && {
        ...previous.settings,
        passwordSet: Boolean(previous.secret),
      },
      next,
    ),
};

const isCertificate = (microsoft365: SavedMicrosoft365Settings) =>
  microsoft365.credential === 'certificate';

const MICROSOFT365_SECRET: SecretRules<SavedMicrosoft365Settings> = {
  field: microsoft365 => microsoft365SecretField(microsoft365.credential),
  required: () => true,
  provider: 'email-provider/microsoft365',
  // The defaults (global cloud, client secret) add nothing, so secrets saved before these
  // fields existed still decrypt.
  destination: microsoft365 => [
    microsoft365.tenantId,
    microsoft365.clientId,
    ...(microsoft365.cloud && microsoft365.cloud !== 'global'
      ? [`cloud:${microsoft365.cloud}`]
      : []),
    ...(isCertificate(microsoft365) ? ['credential:certificate'] : []),
  ],
  requiredReason: (previous, next) =>
    microsoft365SecretRequiredReason(
      previous && { ...previous.settings, secretSet: Boolean(previous.secret) },
      next,
    ),
};

/** `updatedBy` of settings that configuration pins, and of the deletion that makes room for them. */
const MANAGED_BY = 'config';

function secretContext<S>(rules: SecretRules<S>, settings: S): SecretContext {
  return { provider: rules.provider, destination: rules.destination(settings) };
}

/** The answer of PUT and DELETE /settings while configuration pins the provider. */
export class ManagedByConfigError extends ConflictError {
  readonly code = MANAGED_BY_CONFIG;

  constructor() {
    super(
      `The email provider is set by the portal's configuration (${MANAGED_SETTINGS_CONFIG_KEY}) and cannot be changed here; change the configuration and restart the backend`,
    );
  }
}

/**
 * The settings as the rest of the plugin sees them: validated input in, the read shape out,
 * secrets encrypted on the way in and only ever decrypted for sending.
 */
export class SettingsService {
  /** The provider pinned by configuration, held in memory only; see `adoptManaged`. */
  private managed?: SettingsRecord;

  constructor(
    private readonly store: DatabaseSettingsStore,
    private readonly cipher: SecretCipher,
  ) {}

  /**
   * Makes the provider from `emailProvider.managedSettings` the active one for this instance.
   * Its secret stays in memory (encrypted like a saved one, so every path that sends is the same);
   * whatever the database holds is deleted, since only the active provider's credentials may be
   * kept. Returns what the deletion changed, for the audit log, or undefined if nothing was saved.
   * Throws InputError, before touching the database, when the settings lack their secret.
   */
  async adoptManaged(
    input: EmailProviderSettingsInput,
  ): Promise<SettingsChange | undefined> {
    const active = this.toSaved(input, undefined);
    const stored = await this.store.get();
    let version = stored.version;
    let change: SettingsChange | undefined;
    if (stored.active) {
      const cleared = await this.store.replace({
        updatedBy: MANAGED_BY,
        next: () => undefined,
      });
      version = cleared.current.version;
      // Another instance starting alongside may have cleared it first.
      if (cleared.previous.active) {
        change = describeChange(cleared.previous, cleared.current, undefined);
      }
    }
    this.managed = {
      // Never a version the database has held, and at least 1 like every saved revision.
      version: version + 1,
      updatedAt: new Date().toISOString(),
      updatedBy: MANAGED_BY,
      active,
    };
    return change;
  }

  async read(): Promise<{ settings: EmailProviderSettings; version: number }> {
    const record = await this.record();
    const settings = toReadShape(record);
    return {
      settings: this.managed ? { ...settings, managedBy: 'config' } : settings,
      version: record.version,
    };
  }

  private async record(): Promise<SettingsRecord> {
    return this.managed ?? this.store.get();
  }

  async getActiveProvider(): Promise<ActiveProvider | undefined> {
    return (await this.getActiveRevision()).active;
  }

  /**
   * The active provider with the version that saved it. The secret is decrypted only when the
   * version differs from `known`, so a sender polling for changes does no crypto per look.
   */
  async getActiveRevision(known?: {
    version: number;
    active?: ActiveProvider;
  }): Promise<{ version: number; active?: ActiveProvider }> {
    const { version, active } = await this.record();
    if (known && known.version === version) {
      return known;
    }
    return { version, active: active && this.decrypt(active) };
  }

  /**
   * Which provider is active, its sender and whether it takes messages too large for one Graph
   * request, without touching the secret.
   */
  async getActiveSender(): Promise<
    | { provider: 'smtp'; from: string }
    | { provider: 'microsoft365'; from: string; largeMessages: boolean }
    | undefined
  > {
    const { active } = await this.record();
    if (!active) {
      return undefined;
    }
    return active.provider === 'smtp'
      ? { provider: 'smtp', from: active.smtp.from }
      : {
          provider: 'microsoft365',
          from: active.microsoft365.from,
          largeMessages: active.microsoft365.largeMessages === true,
        };
  }

  /**
   * The provider a draft describes, for a connection check before saving: its own secret, or
   * the saved one under the same rule as a save, so a check cannot send a saved credential to a
   * new destination either.
   */
  async resolveDraft(
    input: EmailProviderSettingsInput,
  ): Promise<ActiveProvider> {
    const { active } = await this.record();
    const draft = this.toSaved(input, active);
    if (!draft) {
      throw new FieldInputError(
        [
          {
            field: 'provider',
            message: 'choose SMTP or Microsoft 365 to check a connection',
          },
        ],
        'settings.provider: choose SMTP or Microsoft 365 to check a connection',
      );
    }
    return this.decrypt(draft);
  }

  private decrypt(saved: SavedProvider): ActiveProvider {
    if (saved.provider === 'smtp') {
      return {
        provider: 'smtp',
        smtp: saved.smtp,
        ...(saved.secret === undefined
          ? {}
          : {
              password: this.cipher.decrypt(
                saved.secret,
                secretContext(SMTP_SECRET, saved.smtp),
              ),
            }),
      };
    }
    const secret = this.cipher.decrypt(
      saved.secret,
      secretContext(MICROSOFT365_SECRET, saved.microsoft365),
    );
    return {
      provider: 'microsoft365',
      microsoft365: saved.microsoft365,
      ...(isCertificate(saved.microsoft365)
        ? { clientCertificatePem: secret }
        : { clientSecret: secret }),
    };
  }

  /**
   * Activates or replaces the provider. The secret may be left out only to keep the saved one
   * for the same provider and the same destination; a saved credential is never sent anywhere
   * the admin did not enter it for.
   */
  async save(
    input: EmailProviderSettingsInput,
    options: { expectedVersion?: number; updatedBy: string },
  ): Promise<{ settings: EmailProviderSettings; change: SettingsChange }> {
    if (this.managed) {
      throw new ManagedByConfigError();
    }
    const { previous, current } = await this.store.replace({
      ...options,
      next: ({ active }) => this.toSaved(input, active),
    });
    return {
      settings: toReadShape(current),
      change: describeChange(previous, current, enteredSecretField(input)),
    };
  }

  private toSaved(
    input: EmailProviderSettingsInput,
    saved: SavedProvider | undefined,
  ): SavedProvider | undefined {
    switch (input.provider) {
      case 'none':
        return undefined;
      case 'smtp': {
        const { password, authentication, username, ...rest } = input.smtp;
        // Defaults are saved as absent, as they are read back, so saving one is no change.
        const smtp: SavedSmtpSettings =
          authentication === 'none'
            ? { ...rest, authentication }
            : { ...rest, ...(username === undefined ? {} : { username }) };
        const previous =
          saved?.provider === 'smtp'
            ? { settings: saved.smtp, secret: saved.secret }
            : undefined;
        const secret = this.secretFor(SMTP_SECRET, password, smtp, previous);
        return {
          provider: 'smtp',
          smtp,
          ...(secret === undefined ? {} : { secret }),
        };
      }
      case 'microsoft365': {
        const {
          clientSecret,
          clientCertificatePem,
          cloud,
          credential,
          clientSecretExpiresAt,
          largeMessages,
          ...rest
        } = input.microsoft365;
        const microsoft365: SavedMicrosoft365Settings = {
          ...rest,
          ...(cloud && cloud !== 'global' ? { cloud } : {}),
          ...(credential === 'certificate' ? { credential } : {}),
          ...(clientSecretExpiresAt ? { clientSecretExpiresAt } : {}),
          ...(largeMessages ? { largeMessages } : {}),
        };
        const previous =
          saved?.provider === 'microsoft365'
            ? { settings: saved.microsoft365, secret: saved.secret }
            : undefined;
        const secret = this.secretFor(
          MICROSOFT365_SECRET,
          clientCertificatePem ?? clientSecret,
          microsoft365,
          previous,
        );
        if (isCertificate(microsoft365)) {
          // Entered: described from the PEM (which also checks it); kept: as it was described.
          microsoft365.certificate = clientCertificatePem
            ? certificateInfo(
                parseClientCertificate(clientCertificatePem, {
                  now: new Date(),
                }),
              )
            : previous?.settings.certificate;
        }
        return { provider: 'microsoft365', microsoft365, secret: secret! };
      }
      default:
        throw new InputError('Unknown email provider');
    }
  }

  /**
   * Encrypts the entered secret, or keeps the saved one of the same provider when the
   * destination is unchanged, re-encrypted so it moves to the current key and format. Settings
   * that need no secret get none.
   */
  private secretFor<S>(
    rules: SecretRules<S>,
    entered: string | undefined,
    settings: S,
    previous: { settings: S; secret?: string } | undefined,
  ): string | undefined {
    if (!rules.required(settings)) {
      return undefined;
    }
    const field = rules.field(settings);
    const context = secretContext(rules, settings);
    if (entered !== undefined) {
      return this.cipher.encrypt(entered, context);
    }
    const reason = rules.requiredReason(previous, settings);
    if (reason || !previous?.secret) {
      throw new FieldInputError([
        secretRequiredIssue(field, reason ?? 'missing'),
      ]);
    }
    return this.cipher.encrypt(
      this.cipher.decrypt(
        previous.secret,
        secretContext(rules, previous.settings),
      ),
      context,
    );
  }
}

function toReadShape(record: SettingsRecord): EmailProviderSettings {
  const { active } = record;
  if (!active) {
    return { provider: 'none' };
  }
  const revision = {
    version: record.version,
    updatedAt: record.updatedAt ?? '',
    updatedBy: record.updatedBy ?? '',
  };
  if (active.provider === 'smtp') {
    const { smtp } = active;
    const server = {
      host: smtp.host,
      port: smtp.port,
      security: smtp.security,
      from: smtp.from,
      ...(smtp.fromName ? { fromName: smtp.fromName } : {}),
    };
    return {
      provider: 'smtp',
      ...revision,
      smtp:
        smtp.authentication === 'none'
          ? { ...server, authentication: 'none', passwordSet: false }
          : {
              ...server,
              usernameSameAsFrom: smtp.usernameSameAsFrom,
              username: effectiveSmtpUsername(smtp),
              passwordSet: true,
            },
    };
  }
  const { microsoft365 } = active;
  const { certificate } = microsoft365;
  const credentialExpiresAt = isCertificate(microsoft365)
    ? certificate?.notAfter
    : microsoft365.clientSecretExpiresAt &&
      new Date(microsoft365.clientSecretExpiresAt).toISOString();
  return {
    provider: 'microsoft365',
    ...revision,
    microsoft365: {
      from: microsoft365.from,
      tenantId: microsoft365.tenantId,
      clientId: microsoft365.clientId,
      clientSecretSet: !isCertificate(microsoft365),
      ...(microsoft365.cloud && microsoft365.cloud !== 'global'
        ? { cloud: microsoft365.cloud }
        : {}),
      ...(isCertificate(microsoft365)
        ? {
            credential: 'certificate' as const,
            clientCertificateSet: true as const,
            ...(certificate
              ? {
                  certificate: {
                    thumbprint: certificate.thumbprint,
                    subject: certificate.subject,
                    notAfter: certificate.notAfter,
                  },
                }
              : {}),
          }
        : {}),
      ...(microsoft365.clientSecretExpiresAt
        ? { clientSecretExpiresAt: microsoft365.clientSecretExpiresAt }
        : {}),
      ...(credentialExpiresAt ? { credentialExpiresAt } : {}),
      ...(microsoft365.largeMessages ? { largeMessages: true as const } : {}),
    },
  };
}

function enteredSecretField(input: EmailProviderSettingsInput) {
  if (input.provider === 'smtp' && input.smtp.password !== undefined) {
    return 'smtp.password';
  }
  if (input.provider === 'microsoft365') {
    if (input.microsoft365.clientCertificatePem !== undefined) {
      return 'microsoft365.clientCertificatePem';
    }
    if (input.microsoft365.clientSecret !== undefined) {
      return 'microsoft365.clientSecret';
    }
  }
  return undefined;
}

/** The fields of a provider with their values, the secret by name only. */
function settingsOf(active: SavedProvider) {
  return active.provider === 'smtp' ? active.smtp : active.microsoft365;
}

function fieldsOf(active: SavedProvider | undefined): Map<string, unknown> {
  const fields = new Map<string, unknown>();
  if (active) {
    // Compared as JSON, so a kept certificate's description is no change.
    for (const [key, value] of Object.entries(settingsOf(active))) {
      fields.set(`${active.provider}.${key}`, JSON.stringify(value));
    }
    if (active.secret !== undefined) {
      const field =
        active.provider === 'smtp'
          ? SMTP_SECRET.field(active.smtp)
          : MICROSOFT365_SECRET.field(active.microsoft365);
      fields.set(field, field);
    }
  }
  return fields;
}

function describeChange(
  previous: SettingsRecord,
  current: SettingsRecord,
  enteredSecret: string | undefined,
): SettingsChange {
  const before = fieldsOf(previous.active);
  const after = fieldsOf(current.active);
  const changed = new Set(
    [...before.keys(), ...after.keys()].filter(
      field => before.get(field) !== after.get(field),
    ),
  );
  if (enteredSecret) {
    changed.add(enteredSecret);
  }
  const previousProvider = previous.active?.provider ?? 'none';
  const provider = current.active?.provider ?? 'none';
  if (previousProvider !== provider) {
    changed.add('provider');
  }
  return {
    previousProvider,
    provider,
    version: current.version,
    changedFields: [...changed].sort(),
  };
}
