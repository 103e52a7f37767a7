import { DatabaseService } from '@backstage/backend-plugin-api';
import { ConflictError } from '@backstage/errors';
import type {
  Microsoft365SettingsInput,
  SmtpSettingsInput,
} from '@email-provider/backstage-plugin-email-provider-common';
import { Knex } from 'knex';
import { migrateDatabase } from '../database/migrateDatabase';
import type { CertificateInfo } from './ClientCertificate';

const TABLE = 'email_provider_settings';
const ROW_ID = 1;

/** SMTP settings as saved: what the admin entered, without the password. */
export type SavedSmtpSettings = Omit<SmtpSettingsInput, 'password'>;

/**
 * Microsoft 365 settings as saved: what the admin entered, without the client secret or
 * certificate, plus the certificate's public description.
 */
export type SavedMicrosoft365Settings = Omit<
  Microsoft365SettingsInput,
  'clientSecret' | 'clientCertificatePem'
> & { certificate?: CertificateInfo };

/**
 * The active provider with its encrypted secret; SMTP without authentication has none.
 */
export type SavedProvider =
  | { provider: 'smtp'; smtp: SavedSmtpSettings; secret?: string }
  | {
      provider: 'microsoft365';
      microsoft365: SavedMicrosoft365Settings;
      secret: string;
    };

/**
 * The settings row: the active provider, or none, and the revision that put it there.
 */
export type SettingsRecord = {
  version: number;
  updatedAt?: string;
  updatedBy?: string;
  active?: SavedProvider;
};

type SettingsRow = {
  id: number;
  provider: string;
  version: number;
  settings: string | null;
  secret: string | null;
  updated_by: string | null;
  updated_at: Date | string | number | null;
};

/**
 * Owns every query on the settings table. The table holds exactly one row, so replacing the
 * provider is a single-row update: a reader sees the old provider or the new one, never both,
 * and the old provider's settings and secret are gone the moment the new one is saved.
 */
export class DatabaseSettingsStore {
  static async create(options: {
    database: DatabaseService;
  }): Promise<DatabaseSettingsStore> {
    return new DatabaseSettingsStore(await migrateDatabase(options.database));
  }

  constructor(private readonly db: Knex) {}

  async get(): Promise<SettingsRecord> {
    const row = await this.db<SettingsRow>(TABLE).where('id', ROW_ID).first();
    if (!row) {
      throw new Error(`The ${TABLE} table has lost its row; run migrations`);
    }
    return toRecord(row);
  }

  /**
   * Replaces the active provider with what `next` computes from the current one, in one
   * transaction. With `expectedVersion` the write only happens if nobody saved in between;
   * otherwise a concurrent save still cannot be overwritten unseen, since `next` ran on what
   * was current and the update is conditional on that version.
   */
  async replace(options: {
    expectedVersion?: number;
    updatedBy: string;
    next: (current: SettingsRecord) => SavedProvider | undefined;
  }): Promise<{ previous: SettingsRecord; current: SettingsRecord }> {
    return this.db.transaction(async tx => {
      const row = await tx<SettingsRow>(TABLE)
        .where('id', ROW_ID)
        .forUpdate()
        .first();
      if (!row) {
        throw new Error(`The ${TABLE} table has lost its row; run migrations`);
      }
      const previous = toRecord(row);
      if (
        options.expectedVersion !== undefined &&
        options.expectedVersion !== previous.version
      ) {
        throw staleVersion(previous.version);
      }

      const active = options.next(previous);
      const updatedAt = new Date();
      const updated = await tx<SettingsRow>(TABLE)
        .where({ id: ROW_ID, version: previous.version })
        .update({
          provider: active?.provider ?? 'none',
          settings: active ? JSON.stringify(settingsOf(active)) : null,
          secret: active?.secret ?? null,
          version: previous.version + 1,
          updated_by: options.updatedBy,
          updated_at: updatedAt,
        });
      if (updated !== 1) {
        throw staleVersion(previous.version);
      }
      return {
        previous,
        current: {
          version: previous.version + 1,
          updatedAt: updatedAt.toISOString(),
          updatedBy: options.updatedBy,
          active,
        },
      };
    });
  }
}

function staleVersion(current: number): ConflictError {
  return new ConflictError(
    `The email provider settings were changed by someone else in the meantime (they are now at version ${current}); reload them and save again`,
  );
}

function settingsOf(active: SavedProvider) {
  return active.provider === 'smtp' ? active.smtp : active.microsoft365;
}

function toIsoString(value: SettingsRow['updated_at']): string | undefined {
  if (value === null) {
    return undefined;
  }
  // PostgreSQL returns a Date, SQLite the number or string knex wrote.
  return new Date(value).toISOString();
}

function toRecord(row: SettingsRow): SettingsRecord {
  const record: SettingsRecord = {
    version: Number(row.version),
    updatedAt: toIsoString(row.updated_at),
    updatedBy: row.updated_by ?? undefined,
  };
  if (row.settings === null) {
    return record;
  }
  const settings = JSON.parse(row.settings);
  switch (row.provider) {
    case 'smtp':
      if (row.secret === null && settings.authentication !== 'none') {
        return record;
      }
      return {
        ...record,
        active: {
          provider: 'smtp',
          smtp: settings,
          ...(row.secret === null ? {} : { secret: row.secret }),
        },
      };
    case 'microsoft365':
      if (row.secret === null) {
        return record;
      }
      return {
        ...record,
        active: {
          provider: 'microsoft365',
          microsoft365: settings,
          secret: row.secret,
        },
      };
    default:
      throw new Error(`Unknown email provider '${row.provider}' in ${TABLE}`);
  }
}
