import { LoggerService } from '@backstage/backend-plugin-api';
import { ServiceUnavailableError } from '@backstage/errors';
import { Knex } from 'knex';

/** One row of the notifications backend's `user_settings` table. */
export type UserSettingsRow = {
  user: string;
  channel: string;
  origin: string;
  topic: string | null;
  enabled: boolean | number;
};

const TABLE = 'user_settings';
const COLUMNS: Array<keyof UserSettingsRow> = [
  'user',
  'channel',
  'origin',
  'topic',
  'enabled',
];

// SQLite allows 999 bound variables in older builds.
const CHUNK_SIZE = 500;

/**
 * The notifications backend's private `user_settings` table, read directly from the database
 * that this module shares with it as one of its modules.
 *
 * @remarks
 *
 * `@backstage/plugin-notifications-node` has no API for users' notification settings (up to
 * 0.2.32 at least), and broadcasts must respect them. So this is the one place that reads the
 * table, and it checks first that the table still has the shape it was written for (that of
 * `@backstage/plugin-notifications-backend` 0.6): a notifications backend that changed it must
 * turn broadcast email off, not email users who opted out. The check waits for the backend's
 * startup, after the notifications backend ran its migrations.
 */
export class NotificationsUserSettingsTable {
  private check?: Promise<string | undefined>;

  constructor(
    private readonly getClient: () => Promise<Knex>,
    private readonly logger: LoggerService,
  ) {}

  /**
   * Resolves to why the table cannot be read (it is missing, or lacks a column this module
   * reads), or undefined when it can. The first call checks the schema and logs a mismatch as an
   * error; later calls give the same answer. A check that could not reach the database is tried
   * again on the next call.
   */
  unreadableBecause(): Promise<string | undefined> {
    if (!this.check) {
      this.check = this.checkSchema().then(
        problem => {
          if (problem) {
            this.logger.error(
              `Broadcast notifications will NOT be emailed: ${problem}. This module reads users' Email settings from that table to skip users who turned Email off, and it does not send broadcasts it cannot check. Use a version of @backstage/plugin-notifications-backend whose user_settings table has the columns ${COLUMNS.join(
                ', ',
              )} (0.6.x), or an update of this module that supports yours, and restart; or set notifications.processors.emailProvider.broadcast.enabled to false.`,
            );
          }
          return problem;
        },
        error => {
          this.check = undefined;
          throw error;
        },
      );
    }
    return this.check;
  }

  private async checkSchema(): Promise<string | undefined> {
    const db = await this.getClient();
    if (!(await db.schema.hasTable(TABLE))) {
      return `the notifications backend's database has no ${TABLE} table`;
    }
    const columns = Object.keys(await db(TABLE).columnInfo()).map(c =>
      c.toLowerCase(),
    );
    const missing = COLUMNS.filter(c => !columns.includes(c));
    return missing.length
      ? `the notifications backend's ${TABLE} table has no column${
          missing.length > 1 ? 's' : ''
        } ${missing.join(', ')}`
      : undefined;
  }

  /**
   * The rows of `users` (user entity refs, matched without regard to case) for `channel`.
   * Rejects when the table cannot be read.
   */
  async rowsOf(users: string[], channel: string): Promise<UserSettingsRow[]> {
    const problem = await this.unreadableBecause();
    if (problem) {
      throw new ServiceUnavailableError(
        `Cannot read users' notification settings: ${problem}`,
      );
    }
    const db = await this.getClient();
    const result: UserSettingsRow[] = [];
    for (let i = 0; i < users.length; i += CHUNK_SIZE) {
      const chunk = users.slice(i, i + CHUNK_SIZE).map(u => u.toLowerCase());
      const rows: UserSettingsRow[] = await db(TABLE)
        .whereRaw(`LOWER(??) IN (${chunk.map(() => '?').join(', ')})`, [
          'user',
          ...chunk,
        ])
        .select(...COLUMNS);
      result.push(
        ...rows.filter(
          row => row.channel.toLowerCase() === channel.toLowerCase(),
        ),
      );
    }
    return result;
  }
}
