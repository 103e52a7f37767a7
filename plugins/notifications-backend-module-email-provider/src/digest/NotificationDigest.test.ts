import { resolvePackagePath } from '@backstage/backend-plugin-api';
import { mockServices, TestDatabases } from '@backstage/backend-test-utils';
import { Notification } from '@backstage/plugin-notifications-common';
import { Knex } from 'knex';
import { DatabaseDigestStore } from './DatabaseDigestStore';
import { DigestConfig } from './digestConfig';
import {
  DigestOutcome,
  DigestSender,
  NotificationDigest,
} from './NotificationDigest';

jest.setTimeout(60_000);

const databases = TestDatabases.create({ ids: ['POSTGRES_15', 'SQLITE_3'] });

const ADA = 'user:default/ada';
const BOB = 'user:default/bob';

const config: DigestConfig = {
  severityBelow: 'high',
  schedule: { frequency: { hours: 1 }, timeout: { minutes: 10 } },
  maxItems: 20,
};

function notification(
  id: string,
  payload: Partial<Notification['payload']> = {},
  overrides: Partial<Notification> = {},
): Notification {
  return {
    id,
    user: ADA,
    created: new Date(Date.UTC(2026, 11, 6, 10) + (Number(id) || 0) * 1000),
    origin: 'plugin:release-bot',
    payload: { title: `Notification ${id}`, severity: 'low', ...payload },
    ...overrides,
  };
}

type Call = { userRef: string; titles: string[]; key: string };

/** A sender that answers as told (queued unless said otherwise) and records each call. */
function recordingSender(
  answer: (userRef: string) => DigestOutcome = () => 'queued',
) {
  const calls: Call[] = [];
  /** How many digests each call of the sender had. */
  const batches: number[] = [];
  const send: DigestSender = async digests => {
    batches.push(digests.length);
    return digests.map(({ userRef, notifications, idempotencyKey }) => {
      calls.push({
        userRef,
        titles: notifications.map(n => n.payload.title),
        key: idempotencyKey,
      });
      return answer(userRef);
    });
  };
  return { calls, batches, send };
}

describe.each(databases.eachSupportedId())('the digest on %s', databaseId => {
  let knex: Knex;
  let digest: NotificationDigest;
  const logger = mockServices.logger.mock();

  beforeEach(async () => {
    knex = await databases.init(databaseId);
    digest = await NotificationDigest.create({
      config,
      database: { getClient: async () => knex },
      logger,
    });
  });

  const waiting = () =>
    knex('email_provider_digest_entries')
      .select('user_ref', 'notification_id', 'digest_id')
      .orderBy('id');

  it('keeps its migrations apart from the notifications plugin’s, in the same database', async () => {
    // The notifications plugin migrates the same database with knex's default table; neither
    // may see the other's migrations as missing files.
    const notificationsMigrations = resolvePackagePath(
      '@backstage/plugin-notifications-backend',
      'migrations',
    );
    await knex.migrate.latest({ directory: notificationsMigrations });
    await NotificationDigest.create({
      config,
      database: { getClient: async () => knex },
      logger,
    });
    await knex.migrate.latest({ directory: notificationsMigrations });
    const own = await knex('email_provider_digest_migrations').pluck('name');
    expect(own).toEqual(['20261206000000_digest_entries.js']);
    const theirs = await knex('knex_migrations').pluck('name');
    expect(theirs).toContain('20231215_init.js');
    expect(theirs).not.toContain('20261206000000_digest_entries.js');
  });

  it('takes user notifications less severe than severityBelow, never broadcasts', () => {
    expect(digest.takes(notification('1', { severity: 'low' }))).toBe(true);
    expect(digest.takes(notification('1', { severity: undefined }))).toBe(true);
    expect(digest.takes(notification('1', { severity: 'high' }))).toBe(false);
    expect(digest.takes(notification('1', { severity: 'critical' }))).toBe(
      false,
    );
    expect(
      digest.takes(notification('1', { severity: 'low' }, { user: null })),
    ).toBe(false);
    expect(digest.maxItems).toBe(20);
  });

  it('emails each user one digest of what waits, newest first, then forgets it', async () => {
    await digest.add(notification('1'), ADA);
    await digest.add(notification('22', { severity: 'normal' }), ADA);
    await digest.add(notification('333'), BOB);
    const { calls, batches, send } = recordingSender();

    await digest.sendDigests(send);
    // Both users' digests went in one call.
    expect(batches).toEqual([2]);

    expect(calls).toEqual([
      {
        userRef: ADA,
        titles: ['Notification 22', 'Notification 1'],
        key: expect.stringMatching(/^digest:[0-9a-f-]{36}$/),
      },
      {
        userRef: BOB,
        titles: ['Notification 333'],
        key: expect.stringMatching(/^digest:[0-9a-f-]{36}$/),
      },
    ]);
    expect(calls[0].key).not.toBe(calls[1].key);
    expect(await waiting()).toEqual([]);

    await digest.sendDigests(send);
    expect(calls).toHaveLength(2);
  });

  it('hands the sender the notification as it was stored', async () => {
    const original = notification(
      'n-1',
      {
        title: 'Build <b>failed</b>',
        description: 'Line 1\nLine 2',
        link: '/catalog/x',
        severity: 'normal',
        topic: 'builds',
        icon: 'not-kept',
      },
      { updated: new Date('2026-12-06T11:00:00Z') },
    );
    await digest.add(original, ADA);
    let received: Notification[] = [];
    await digest.sendDigests(async ([{ notifications }]) => {
      received = notifications;
      return ['queued'];
    });
    expect(received).toEqual([
      {
        id: 'n-1',
        user: ADA,
        origin: 'plugin:release-bot',
        created: original.created,
        updated: new Date('2026-12-06T11:00:00Z'),
        payload: {
          title: 'Build <b>failed</b>',
          description: 'Line 1\nLine 2',
          link: '/catalog/x',
          severity: 'normal',
          topic: 'builds',
        },
      },
    ]);
  });

  it('lists an updated notification once, as it is now', async () => {
    await digest.add(notification('1', { title: 'Build running' }), ADA);
    await digest.add(notification('1', { title: 'Build passed' }), ADA);
    await digest.add(notification('1', { title: 'Build passed' }), BOB);
    // Two replicas storing the same update at once still leave one entry.
    await Promise.all([
      digest.add(notification('1', { title: 'Build passed' }), BOB),
      digest.add(notification('1', { title: 'Build passed' }), BOB),
    ]);
    expect(await waiting()).toHaveLength(2);
    const { calls, send } = recordingSender();
    await digest.sendDigests(send);
    expect(calls.map(c => [c.userRef, c.titles])).toEqual([
      [ADA, ['Build passed']],
      [BOB, ['Build passed']],
    ]);
  });

  it('sends a digest that could not be stored again, as it was, before anything newer', async () => {
    await digest.add(notification('1'), ADA);
    await digest.add(notification('2'), BOB);
    let answer: DigestOutcome = 'failed';
    const { calls, send } = recordingSender(user =>
      user === ADA ? answer : 'queued',
    );

    await digest.sendDigests(send);
    expect(calls.map(c => [c.userRef, c.titles])).toEqual([
      [ADA, ['Notification 1']],
      [BOB, ['Notification 2']],
    ]);
    const [{ key }] = calls;
    expect(await waiting()).toEqual([
      {
        user_ref: ADA,
        notification_id: '1',
        digest_id: key.slice('digest:'.length),
      },
    ]);

    // An update of the notification in the unsent digest waits for the next digest; the unsent
    // one is sent as it was, under its key.
    await digest.add(notification('1', { title: 'Updated' }), ADA);
    await digest.add(notification('3'), ADA);
    answer = 'queued';
    await digest.sendDigests(send);
    expect(calls.slice(2)).toEqual([
      { userRef: ADA, titles: ['Notification 1'], key },
    ]);

    await digest.sendDigests(send);
    expect(calls.slice(3).map(c => [c.userRef, c.titles])).toEqual([
      [ADA, ['Notification 3', 'Updated']],
    ]);
    expect(calls[3].key).not.toBe(key);
    expect(await waiting()).toEqual([]);
  });

  it('stops at no-provider and keeps every digest; drops those nobody can receive', async () => {
    await digest.add(notification('1'), ADA);
    await digest.add(notification('2'), BOB);
    const noProvider = recordingSender(() => 'no-provider');
    await digest.sendDigests(noProvider.send);
    expect(noProvider.calls.map(c => c.userRef)).toEqual([ADA, BOB]);
    // Both digests are kept as they were, to be sent under the same keys.
    expect(await waiting()).toHaveLength(2);

    const skipped = recordingSender(user =>
      user === ADA ? 'skipped' : 'suppressed',
    );
    await digest.sendDigests(skipped.send);
    expect(skipped.calls.map(c => c.key)).toEqual(
      noProvider.calls.map(c => c.key),
    );
    expect(await waiting()).toEqual([]);
  });

  it('sends no further call after no-provider', async () => {
    const users = Array.from({ length: 150 }, (_, i) => `user:default/u${i}`);
    for (const user of users) {
      await digest.add(notification('1'), user);
    }
    const noProvider = recordingSender(() => 'no-provider');
    await digest.sendDigests(noProvider.send);
    // A hundred users' digests a call; the refused first call ends the run.
    expect(noProvider.batches).toEqual([100]);

    const { batches, send } = recordingSender();
    await digest.sendDigests(send);
    expect(batches).toEqual([100, 50]);
    expect(await waiting()).toEqual([]);
  });

  it('keeps the digest when the sender throws', async () => {
    await digest.add(notification('1'), ADA);
    await digest.sendDigests(async () => {
      throw new Error('catalog unreachable');
    });
    expect(await waiting()).toHaveLength(1);
    expect(logger.error).toHaveBeenCalledWith(
      expect.stringMatching(
        /^Could not email the notification digest .* to user:default\/ada: Error: catalog unreachable$/,
      ),
    );
  });

  it('sends each notification under one key when two replicas run at once', async () => {
    const replica = await NotificationDigest.create({
      config,
      database: { getClient: async () => knex },
      logger,
    });
    const users = Array.from({ length: 8 }, (_, i) => `user:default/u${i}`);
    for (const user of users) {
      for (const id of ['1', '2', '3']) {
        await digest.add(notification(id), user);
      }
    }
    const { calls, send } = recordingSender();
    await Promise.all([digest.sendDigests(send), replica.sendDigests(send)]);

    for (const user of users) {
      const keys = new Set(
        calls.filter(c => c.userRef === user).map(c => c.key),
      );
      // Sent twice at most, under the same key, which the email provider stores once.
      expect(keys.size).toBe(1);
      for (const call of calls.filter(c => c.userRef === user)) {
        expect(call.titles.sort()).toEqual([
          'Notification 1',
          'Notification 2',
          'Notification 3',
        ]);
      }
    }
    expect(await waiting()).toEqual([]);
  });

  it('resends a digest a stopped run left behind, under the same key', async () => {
    await digest.add(notification('1'), ADA);
    const store = new DatabaseDigestStore(knex);
    // A replica that put the entries in a digest and stopped before it sent it.
    const left = await store.nextDigest(ADA);
    expect(left?.notifications.map(n => n.id)).toEqual(['1']);

    const { calls, send } = recordingSender();
    await digest.sendDigests(send);
    expect(calls).toEqual([
      { userRef: ADA, titles: ['Notification 1'], key: `digest:${left!.id}` },
    ]);
  });
});
