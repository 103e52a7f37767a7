import { InputError, NotFoundError } from '@backstage/errors';
import type {
  EmailSuppression,
  EmailSuppressionList,
  EmailSuppressionSource,
} from '@email-provider/backstage-plugin-email-provider-common';
import { Knex } from 'knex';
import { randomUUID } from 'node:crypto';
import { toDate } from '../delivery/DatabaseOutboxStore';
import { RecipientHasher } from '../deliveryLog/RecipientHasher';
import { SecretCipher, SecretContext } from '../settings/SecretCipher';

const SUPPRESSIONS = 'email_provider_suppressions';

/** Shown in the admins' list for an address whose key was dropped from `previousKeys`. */
export const UNREADABLE_ADDRESS =
  '(unreadable: encrypted with a key no longer configured)';

type SuppressionRow = {
  id: string;
  caller: string;
  list: string;
  description: string | null;
  recipient_hash: string;
  address: string;
  source: EmailSuppressionSource;
  created_at: Date | number | string;
};

/** One address on one list of one caller. */
export type SuppressionEntry = {
  caller: string;
  list: string;
  address: string;
};

export type NewSuppression = SuppressionEntry & {
  description?: string;
  source: EmailSuppressionSource;
};

export type SuppressionFilter = {
  /** An exact address (letter case aside), matched through its keyed hash. */
  address?: string;
  caller?: string;
  list?: string;
};

// The address is bound to the entry's caller and list: a row edited to stand for another list
// does not decrypt.
const addressContext = (entry: {
  caller: string;
  list: string;
}): SecretContext => ({
  provider: 'email-provider/suppression',
  destination: [entry.caller, entry.list],
});

function encodeCursor(row: SuppressionRow): string {
  return Buffer.from(
    `${toDate(row.created_at).getTime()}.${row.id}`,
    'utf8',
  ).toString('base64url');
}

function decodeCursor(cursor: string): { createdAt: Date; id: string } {
  const match = /^(\d{1,15})\.([0-9a-f-]{36})$/.exec(
    Buffer.from(cursor, 'base64url').toString('utf8'),
  );
  if (!match) {
    throw new InputError(
      'cursor is not a nextCursor the suppression list returned',
    );
  }
  return { createdAt: new Date(Number(match[1])), id: match[2] };
}

/**
 * The suppression list: the addresses that unsubscribed from a caller's list, which the outbox
 * does not send that list's messages to. Addresses are looked up by their keyed hash (with every
 * configured key, so entries made before a key rotation still hold) and kept encrypted for the
 * admins' list, never in clear.
 */
export class SuppressionStore {
  constructor(
    private readonly db: Knex,
    private readonly cipher: SecretCipher,
    private readonly recipients: RecipientHasher,
  ) {}

  private get isPostgres(): boolean {
    return this.db.client.config.client === 'pg';
  }

  /**
   * Puts the address on the list; an address already on it stays as it was. Returns the entry's
   * id and whether it is new.
   */
  async add(
    suppression: NewSuppression,
    now = new Date(),
  ): Promise<{ id: string; created: boolean }> {
    const existing = await this.find(suppression);
    if (existing) {
      return { id: existing, created: false };
    }
    const id = randomUUID();
    await this.db(SUPPRESSIONS)
      .insert({
        id,
        caller: suppression.caller,
        list: suppression.list,
        description: suppression.description ?? null,
        recipient_hash: this.recipients.hashAll([suppression.address])[0],
        address: this.cipher.encrypt(
          suppression.address.trim(),
          addressContext(suppression),
        ),
        source: suppression.source,
        created_at: now,
      })
      .onConflict(['caller', 'list', 'recipient_hash'])
      .ignore();
    // Another request may have put it there in between.
    const stored = await this.find(suppression);
    return { id: stored ?? id, created: stored === id };
  }

  async isSuppressed(entry: SuppressionEntry): Promise<boolean> {
    return (await this.find(entry)) !== undefined;
  }

  /** Which of the entries are on the list, in their order, with one query. */
  async suppressedAmong(entries: SuppressionEntry[]): Promise<boolean[]> {
    if (entries.length === 0) {
      return [];
    }
    const candidates = entries.map(entry =>
      this.recipients.candidates(entry.address),
    );
    const rows: Array<
      Pick<SuppressionRow, 'caller' | 'list' | 'recipient_hash'>
    > = await this.db(SUPPRESSIONS)
      .select('caller', 'list', 'recipient_hash')
      .whereIn(
        ['caller', 'list', 'recipient_hash'],
        entries.flatMap((entry, index) =>
          candidates[index].map(hash => [entry.caller, entry.list, hash]),
        ),
      );
    const found = new Set(
      rows.map(row =>
        JSON.stringify([row.caller, row.list, row.recipient_hash]),
      ),
    );
    return entries.map((entry, index) =>
      candidates[index].some(hash =>
        found.has(JSON.stringify([entry.caller, entry.list, hash])),
      ),
    );
  }

  /** A page of the list, newest first, by keyset. */
  async list(
    filter: SuppressionFilter,
    page: { limit: number; cursor?: string },
  ): Promise<EmailSuppressionList> {
    const query = this.db<SuppressionRow>(SUPPRESSIONS)
      .select('*')
      .orderBy([
        { column: 'created_at', order: 'desc' },
        { column: 'id', order: 'desc' },
      ])
      .limit(page.limit + 1);
    if (filter.caller) query.where('caller', filter.caller);
    if (filter.list) query.where('list', filter.list);
    if (filter.address) {
      query.whereIn(
        'recipient_hash',
        this.recipients.candidates(filter.address),
      );
    }
    if (page.cursor) {
      const cursor = decodeCursor(page.cursor);
      query.andWhereRaw('(created_at, id) < (?, ?)', [
        this.isPostgres ? cursor.createdAt : cursor.createdAt.getTime(),
        cursor.id,
      ]);
    }
    const rows: SuppressionRow[] = await query;
    const items = rows.slice(0, page.limit);
    return {
      items: items.map(row => this.toSuppression(row)),
      ...(rows.length > page.limit
        ? { nextCursor: encodeCursor(items[items.length - 1]) }
        : {}),
    };
  }

  /**
   * Takes an entry off the list: its address gets that list's messages again. Returns the entry
   * it was, or throws NotFoundError.
   */
  async remove(id: string): Promise<EmailSuppression> {
    return this.db.transaction(async trx => {
      const row: SuppressionRow | undefined = await trx<SuppressionRow>(
        SUPPRESSIONS,
      )
        .where('id', id)
        .first();
      if (!row) {
        throw new NotFoundError(`No suppression with id ${id}`);
      }
      await trx(SUPPRESSIONS).where('id', id).delete();
      return this.toSuppression(row);
    });
  }

  /** The id of the entry for this address, caller and list, if there is one. */
  private async find(entry: SuppressionEntry): Promise<string | undefined> {
    const row: Pick<SuppressionRow, 'id'> | undefined =
      await this.db<SuppressionRow>(SUPPRESSIONS)
        .select('id')
        .where({ caller: entry.caller, list: entry.list })
        .whereIn('recipient_hash', this.recipients.candidates(entry.address))
        .first();
    return row?.id;
  }

  private toSuppression(row: SuppressionRow): EmailSuppression {
    let address: string;
    try {
      address = this.cipher.decrypt(row.address, addressContext(row));
    } catch {
      address = UNREADABLE_ADDRESS;
    }
    return {
      id: row.id,
      address,
      caller: row.caller,
      list: row.list,
      ...(row.description ? { description: row.description } : {}),
      source: row.source,
      createdAt: toDate(row.created_at).toISOString(),
    };
  }
}
