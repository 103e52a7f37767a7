import { InputError } from '@backstage/errors';
import type {
  EmailProviderSettings,
  EmailProviderSettingsInput,
  EmailProviderType,
} from '@internal/plugin-email-provider-common';
import {
  DatabaseSettingsStore,
  SavedMicrosoft365Settings,
  SavedProvider,
  SavedSmtpSettings,
  SettingsRecord,
} from './DatabaseSettingsStore';
import { SecretCipher } from './SecretCipher';

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
  | { provider: 'smtp'; smtp: SavedSmtpSettings; password: string }
  | {
      provider: 'microsoft365';
      microsoft365: SavedMicrosoft365Settings;
      clientSecret: string;
    };

// Each secret is bound to its provider, so a ciphertext moved to another provider's row fails.
const SECRET_CONTEXT = {
  smtp: 'email-provider/smtp',
  microsoft365: 'email-provider/microsoft365',
} as const;

/**
 * The settings as the rest of the plugin sees them: validated input in, the read shape out,
 * secrets encrypted on the way in and only ever decrypted for sending.
 */
export class SettingsService {
  constructor(
    private readonly store: DatabaseSettingsStore,
    private readonly cipher: SecretCipher,
  ) {}

  async read(): Promise<{ settings: EmailProviderSettings; version: number }> {
    const record = await this.store.get();
    return { settings: toReadShape(record), version: record.version };
  }

  async getActiveProvider(): Promise<ActiveProvider | undefined> {
    const { active } = await this.store.get();
    if (!active) {
      return undefined;
    }
    const secret = this.cipher.decrypt(
      active.secret,
      SECRET_CONTEXT[active.provider],
    );
    return active.provider === 'smtp'
      ? { provider: 'smtp', smtp: active.smtp, password: secret }
      : {
          provider: 'microsoft365',
          microsoft365: active.microsoft365,
          clientSecret: secret,
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
        const { password, ...smtp } = input.smtp;
        const keep =
          saved?.provider === 'smtp' &&
          sameSmtpDestination(saved.smtp, smtp) &&
          saved;
        return {
          provider: 'smtp',
          smtp,
          secret: this.secretFor(
            'smtp',
            password,
            keep ? keep.secret : undefined,
            saved?.provider === 'smtp'
              ? 'smtp.password: Password is required: the server address, port, security or username changed, and a saved password is never sent to a new destination'
              : 'smtp.password: Password is required to activate SMTP',
          ),
        };
      }
      case 'microsoft365': {
        const { clientSecret, ...microsoft365 } = input.microsoft365;
        const keep =
          saved?.provider === 'microsoft365' &&
          saved.microsoft365.tenantId === microsoft365.tenantId &&
          saved.microsoft365.clientId === microsoft365.clientId &&
          saved;
        return {
          provider: 'microsoft365',
          microsoft365,
          secret: this.secretFor(
            'microsoft365',
            clientSecret,
            keep ? keep.secret : undefined,
            saved?.provider === 'microsoft365'
              ? 'microsoft365.clientSecret: Client secret is required: the tenant ID or client ID changed, and a saved secret is never sent to another application'
              : 'microsoft365.clientSecret: Client secret is required to activate Microsoft 365',
          ),
        };
      }
      default:
        throw new InputError('Unknown email provider');
    }
  }

  /** Encrypts a new secret, or re-encrypts the kept one so it moves to the current key. */
  private secretFor(
    provider: SavedProvider['provider'],
    entered: string | undefined,
    kept: string | undefined,
    missingMessage: string,
  ): string {
    const context = SECRET_CONTEXT[provider];
    if (entered !== undefined) {
      return this.cipher.encrypt(entered, context);
    }
    if (kept !== undefined) {
      return this.cipher.encrypt(this.cipher.decrypt(kept, context), context);
    }
    throw new InputError(missingMessage);
  }
}

function effectiveUsername(smtp: SavedSmtpSettings): string {
  return smtp.usernameSameAsFrom ? smtp.from : smtp.username ?? smtp.from;
}

function sameSmtpDestination(a: SavedSmtpSettings, b: SavedSmtpSettings) {
  return (
    a.host.toLocaleLowerCase('en-US') === b.host.toLocaleLowerCase('en-US') &&
    a.port === b.port &&
    a.security === b.security &&
    effectiveUsername(a) === effectiveUsername(b)
  );
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
    return {
      provider: 'smtp',
      ...revision,
      smtp: {
        host: smtp.host,
        port: smtp.port,
        security: smtp.security,
        from: smtp.from,
        ...(smtp.fromName ? { fromName: smtp.fromName } : {}),
        usernameSameAsFrom: smtp.usernameSameAsFrom,
        username: effectiveUsername(smtp),
        passwordSet: true,
      },
    };
  }
  const { microsoft365 } = active;
  return {
    provider: 'microsoft365',
    ...revision,
    microsoft365: {
      from: microsoft365.from,
      tenantId: microsoft365.tenantId,
      clientId: microsoft365.clientId,
      clientSecretSet: true,
    },
  };
}

const SECRET_FIELD = {
  smtp: 'smtp.password',
  microsoft365: 'microsoft365.clientSecret',
} as const;

function enteredSecretField(input: EmailProviderSettingsInput) {
  if (input.provider === 'smtp' && input.smtp.password !== undefined) {
    return SECRET_FIELD.smtp;
  }
  if (
    input.provider === 'microsoft365' &&
    input.microsoft365.clientSecret !== undefined
  ) {
    return SECRET_FIELD.microsoft365;
  }
  return undefined;
}

/** The fields of a provider with their values, the secret by name only. */
function fieldsOf(active: SavedProvider | undefined): Map<string, unknown> {
  const fields = new Map<string, unknown>();
  if (active) {
    const settings =
      active.provider === 'smtp' ? active.smtp : active.microsoft365;
    for (const [key, value] of Object.entries(settings)) {
      fields.set(`${active.provider}.${key}`, value);
    }
    fields.set(SECRET_FIELD[active.provider], SECRET_FIELD[active.provider]);
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
