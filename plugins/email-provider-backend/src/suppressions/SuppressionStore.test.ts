import { mockServices, TestDatabases } from '@backstage/backend-test-utils';
import { ConfigReader } from '@backstage/config';
import { NotFoundError } from '@backstage/errors';
import { Knex } from 'knex';
import { migrateDatabase } from '../database/migrateDatabase';
import { RecipientHasher } from '../deliveryLog/RecipientHasher';
import { SecretCipher } from '../settings/SecretCipher';
import { SuppressionStore, UNREADABLE_ADDRESS } from './SuppressionStore';

jest.setTimeout(60_000);

const databases = TestDatabases.create({ ids: ['POSTGRES_15', 'SQLITE_3'] });
const KEY = 'suppression-test-key-0123456789abcdef0123456789';
const NEW_KEY = 'suppression-test-new-key-0123456789abcdef012345';

function storeWith(knex: Knex, key: string, previousKeys?: string[]) {
  const cipher = SecretCipher.fromConfig(
    new ConfigReader({
      emailProvider: { encryption: { key, previousKeys } },
    }),
    { logger: mockServices.logger.mock() },
  );
  return new SuppressionStore(knex, cipher, RecipientHasher.fromCipher(cipher));
}

const catalog = { caller: 'plugin:notifications', list: 'catalog' };

describe.each(databases.eachSupportedId())(
  'SuppressionStore (%s)',
  databaseId => {
    let knex: Knex;
    let store: SuppressionStore;

    beforeEach(async () => {
      knex = await databases.init(databaseId);
      await migrateDatabase({ getClient: async () => knex });
      store = storeWith(knex, KEY);
    });

    it('suppresses exactly the caller, list and address added, letter case aside', async () => {
      const added = await store.add({
        ...catalog,
        address: 'Ada@Example.com',
        description: 'Catalog notifications',
        source: 'one-click',
      });
      expect(added.created).toBe(true);

      expect(
        await store.suppressedAmong([
          { ...catalog, address: 'ada@example.com' },
          { ...catalog, address: ' ADA@example.COM ' },
          { ...catalog, address: 'grace@example.com' },
          { ...catalog, list: 'scaffolder', address: 'ada@example.com' },
          {
            caller: 'plugin:reports',
            list: 'catalog',
            address: 'ada@example.com',
          },
        ]),
      ).toEqual([true, true, false, false, false]);
      expect(await store.suppressedAmong([])).toEqual([]);
      expect(
        await store.isSuppressed({ ...catalog, address: 'ada@example.com' }),
      ).toBe(true);
      expect(
        await store.isSuppressed({ ...catalog, address: 'bob@example.com' }),
      ).toBe(false);
    });

    it('adds an address once, however often it unsubscribes', async () => {
      const first = await store.add({
        ...catalog,
        address: 'ada@example.com',
        source: 'confirmation-page',
      });
      const again = await Promise.all(
        [1, 2, 3].map(() =>
          store.add({
            ...catalog,
            address: 'ADA@example.com',
            source: 'one-click',
          }),
        ),
      );
      expect(again).toEqual(
        [1, 2, 3].map(() => ({ id: first.id, created: false })),
      );
      const { items } = await store.list({}, { limit: 10 });
      expect(items).toEqual([
        {
          id: first.id,
          ...catalog,
          address: 'ada@example.com',
          source: 'confirmation-page',
          createdAt: expect.any(String),
        },
      ]);
    });

    it('keeps no address in clear in the database', async () => {
      await store.add({
        ...catalog,
        address: 'ada.lovelace@example.com',
        source: 'one-click',
      });
      const rows = await knex('email_provider_suppressions').select();
      expect(rows).toHaveLength(1);
      expect(JSON.stringify(rows).toLowerCase()).not.toContain('lovelace');
    });

    it('lists newest first, filtered, page by page', async () => {
      const start = Date.parse('2026-12-01T00:00:00Z');
      const addresses = ['a', 'b', 'c', 'd', 'e'].map(n => `${n}@example.com`);
      for (const [index, address] of addresses.entries()) {
        await store.add(
          { ...catalog, address, source: 'one-click' },
          new Date(start + index * 1000),
        );
      }
      await store.add(
        {
          caller: 'plugin:reports',
          list: 'weekly',
          address: 'a@example.com',
          source: 'one-click',
        },
        new Date(start + 10_000),
      );

      const seen: string[] = [];
      let cursor: string | undefined;
      do {
        const page = await store.list(catalog, { limit: 2, cursor });
        seen.push(...page.items.map(item => item.address));
        cursor = page.nextCursor;
      } while (cursor);
      expect(seen).toEqual([...addresses].reverse());

      const byAddress = await store.list(
        { address: 'A@example.com' },
        { limit: 10 },
      );
      expect(byAddress.items.map(i => [i.caller, i.list])).toEqual([
        ['plugin:reports', 'weekly'],
        ['plugin:notifications', 'catalog'],
      ]);
      expect(byAddress.nextCursor).toBeUndefined();
      expect(
        (await store.list({ list: 'weekly' }, { limit: 10 })).items,
      ).toHaveLength(1);
      await expect(
        store.list({}, { limit: 10, cursor: 'bm90IGEgY3Vyc29y' }),
      ).rejects.toThrow('cursor is not a nextCursor');
    });

    it('removes an entry, after which the address gets the list again', async () => {
      const { id } = await store.add({
        ...catalog,
        address: 'ada@example.com',
        source: 'one-click',
      });
      const removed = await store.remove(id);
      expect(removed).toMatchObject({ id, address: 'ada@example.com' });
      expect(
        await store.isSuppressed({ ...catalog, address: 'ada@example.com' }),
      ).toBe(false);
      await expect(store.remove(id)).rejects.toThrow(NotFoundError);
      await expect(store.remove('no-such-id')).rejects.toThrow(NotFoundError);
    });

    it('still holds entries made before a key rotation', async () => {
      await store.add({
        ...catalog,
        address: 'ada@example.com',
        source: 'one-click',
      });
      const rotated = storeWith(knex, NEW_KEY, [KEY]);
      expect(
        await rotated.isSuppressed({ ...catalog, address: 'ada@example.com' }),
      ).toBe(true);
      expect(
        (
          await rotated.add({
            ...catalog,
            address: 'ada@example.com',
            source: 'one-click',
          })
        ).created,
      ).toBe(false);
      expect(
        (await rotated.list({ address: 'ada@example.com' }, { limit: 5 }))
          .items[0].address,
      ).toBe('ada@example.com');

      const keyDropped = storeWith(knex, NEW_KEY);
      expect((await keyDropped.list({}, { limit: 5 })).items[0].address).toBe(
        UNREADABLE_ADDRESS,
      );
    });
  },
);
