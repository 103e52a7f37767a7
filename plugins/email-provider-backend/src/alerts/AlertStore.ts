import { Knex } from 'knex';

const ALERTS = 'email_provider_alerts';

type AlertRow = { key: string; raised_at: Date | number | string };

function toDate(value: Date | number | string): Date {
  // PostgreSQL returns Dates, SQLite the milliseconds knex wrote.
  return value instanceof Date ? value : new Date(Number(value) || value);
}

/**
 * Which admin alerts were raised, in the plugin's database: the one record every replica shares,
 * so an alert raised by one is not raised again by another, nor after a restart.
 */
export class AlertStore {
  constructor(private readonly db: Knex) {}

  /**
   * Records the alert unless it is already recorded. Returns whether this call recorded it:
   * of any number of concurrent calls with one key, exactly one gets true, and it sends.
   */
  async raise(key: string, now = new Date()): Promise<boolean> {
    const inserted = await this.db(ALERTS)
      .insert({ key, raised_at: now })
      .onConflict('key')
      .ignore()
      .returning('key');
    return inserted.length === 1;
  }

  /** When the alert was raised, if it is recorded. */
  async raisedAt(key: string): Promise<Date | undefined> {
    const row: AlertRow | undefined = await this.db<AlertRow>(ALERTS)
      .where('key', key)
      .first();
    return row && toDate(row.raised_at);
  }

  /**
   * Forgets the alert, so it can be raised again. Returns whether this call removed it: of any
   * number of concurrent calls, at most one gets true.
   */
  async clear(key: string): Promise<boolean> {
    return (await this.db(ALERTS).where('key', key).delete()) === 1;
  }
}
