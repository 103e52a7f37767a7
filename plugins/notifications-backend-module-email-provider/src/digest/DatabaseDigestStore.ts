import {
  DatabaseService,
  isDatabaseConflictError,
  resolvePackagePath,
} from '@backstage/backend-plugin-api';
import {
  Notification,
  NotificationSeverity,
} from '@backstage/plugin-notifications-common';
import { Knex } from 'knex';
import { randomUUID } from 'node:crypto';

const migrationsDir = resolvePackagePath(
  '@email-provider/backstage-plugin-notifications-backend-module-email-provider',
  'migrations',
);

/**
 * The module shares the notifications plugin's database; its migrations are recorded apart from
 * that plugin's `knex_migrations`, which would otherwise report them as missing files.
 */
export const DIGEST_MIGRATIONS_TABLE = 'email_provider_digest_migrations';

const TABLE = 'email_provider_digest_entries';

type EntryRow = {
  id: number;
  user_ref: string;
  notification_id: string;
  digest_id: string | null;
  notification: string;
  created_at: Date | string;
};

/** What a digest shows of a notification, as stored. */
type StoredNotification = {
  id: string;
  origin: string;
  created: string;
  updated?: string;
  title: string;
  description?: string;
  link?: string;
  severity?: NotificationSeverity;
  topic?: string;
};

/** One user's digest: the notifications it lists, newest first, and the id that keys its email. */
export type Digest = {
  id: string;
  userRef: string;
  notifications: Notification[];
};

const isoTime = (value: Date | string | undefined) =>
  value === undefined ? undefined : new Date(value).toISOString();

function toStored(notification: Notification): StoredNotification {
  const { payload } = notification;
  return {
    id: notification.id,
    origin: notification.origin,
    created: isoTime(notification.created) ?? new Date().toISOString(),
    updated: isoTime(notification.updated),
    title: payload.title,
    description: payload.description,
    link: payload.link,
    severity: payload.severity,
    topic: payload.topic,
  };
}

function fromStored(row: EntryRow): Notification {
  const stored: StoredNotification = JSON.parse(row.notification);
  return {
    id: stored.id,
    user: row.user_ref,
    origin: stored.origin,
    created: new Date(stored.created),
    ...(stored.updated ? { updated: new Date(stored.updated) } : {}),
    payload: {
      title: stored.title,
      description: stored.description,
      link: stored.link,
      severity: stored.severity,
      topic: stored.topic,
    },
  };
}

/**
 * The notifications waiting for users' digests, in the module's own table of the notifications
 * plugin's database. An entry waits (no digest id) until a run puts it in a digest; it is deleted
 * once that digest is sent. A digest's entries stay together under its id until then, so a run
 * that stops half way sends the same digest, under the same idempotency key, the next time.
 */
export class DatabaseDigestStore {
  /** The store, with its table migrated unless the database service says not to. */
  static async create(database: DatabaseService): Promise<DatabaseDigestStore> {
    const client = await database.getClient();
    if (!database.migrations?.skip) {
      await client.migrate.latest({
        directory: migrationsDir,
        tableName: DIGEST_MIGRATIONS_TABLE,
      });
    }
    return new DatabaseDigestStore(client);
  }

  constructor(private readonly db: Knex) {}

  /**
   * Keeps the notification for the user's next digest. A notification sent again (same id, as
   * the notifications backend does for a scoped one) replaces the waiting entry, so the digest
   * lists its latest version once.
   */
  async add(userRef: string, notification: Notification): Promise<void> {
    const row = {
      user_ref: userRef,
      notification_id: notification.id,
      notification: JSON.stringify(toStored(notification)),
      created_at: new Date(),
    };
    for (let attempt = 1; ; attempt++) {
      try {
        await this.db.transaction(async tx => {
          await tx(TABLE)
            .where({ user_ref: userRef, notification_id: notification.id })
            .whereNull('digest_id')
            .delete();
          await tx(TABLE).insert(row);
        });
        return;
      } catch (error) {
        // Another replica stored the same notification for the user at the same moment: the
        // second attempt replaces that entry.
        if (attempt > 1 || !isDatabaseConflictError(error)) {
          throw error;
        }
      }
    }
  }

  /** The users with waiting entries or an unsent digest. */
  async users(): Promise<string[]> {
    const rows: Array<{ user_ref: string }> = await this.db(TABLE)
      .distinct('user_ref')
      .orderBy('user_ref');
    return rows.map(row => row.user_ref);
  }

  /**
   * The user's digest to send now: the unsent one if a previous run left one (it is sent again
   * as it was, so its idempotency key still stands for the same email), otherwise a new one with
   * every waiting entry. Undefined when there is nothing to send.
   */
  async nextDigest(userRef: string): Promise<Digest | undefined> {
    const unsent: { digest_id: string } | undefined = await this.db(TABLE)
      .where('user_ref', userRef)
      .whereNotNull('digest_id')
      .orderBy('id')
      .first('digest_id');
    let digestId = unsent?.digest_id;
    if (!digestId) {
      digestId = randomUUID();
      // One statement: entries that another run assigned meanwhile are not taken twice.
      const assigned = await this.db(TABLE)
        .where('user_ref', userRef)
        .whereNull('digest_id')
        .update({ digest_id: digestId });
      if (assigned === 0) {
        return undefined;
      }
    }
    const rows: EntryRow[] = await this.db(TABLE)
      .where({ user_ref: userRef, digest_id: digestId })
      .select();
    if (rows.length === 0) {
      return undefined; // another run finished it meanwhile
    }
    const notifications = rows
      .map(fromStored)
      .sort(
        (a, b) =>
          new Date(b.created).getTime() - new Date(a.created).getTime() ||
          a.id.localeCompare(b.id),
      );
    return { id: digestId, userRef, notifications };
  }

  /** Forgets a digest that was sent (or that nobody can be sent). */
  async finish(digestId: string): Promise<void> {
    await this.db(TABLE).where('digest_id', digestId).delete();
  }
}
