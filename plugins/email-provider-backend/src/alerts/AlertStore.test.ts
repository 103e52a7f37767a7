import { TestDatabases } from '@backstage/backend-test-utils';
import { migrateDatabase } from '../database/migrateDatabase';
import { AlertStore } from './AlertStore';

jest.setTimeout(60_000);

const databases = TestDatabases.create({ ids: ['POSTGRES_15', 'SQLITE_3'] });

describe.each(databases.eachSupportedId())('AlertStore (%s)', databaseId => {
  it('lets exactly one of many concurrent raises of a key through, until it is cleared', async () => {
    const knex = await databases.init(databaseId);
    await migrateDatabase({ getClient: async () => knex });
    // Two stores on one database, as two replicas have.
    const stores = [new AlertStore(knex), new AlertStore(knex)];
    const at = new Date('2027-01-02T03:04:05.678Z');

    const raised = await Promise.all(
      Array.from({ length: 20 }, (_, i) => stores[i % 2].raise('incident', at)),
    );
    expect(raised.filter(Boolean)).toHaveLength(1);
    expect(await stores[1].raisedAt('incident')).toEqual(at);
    expect(await stores[0].raise('another', at)).toBe(true);

    const cleared = await Promise.all(
      Array.from({ length: 10 }, (_, i) => stores[i % 2].clear('incident')),
    );
    expect(cleared.filter(Boolean)).toHaveLength(1);
    expect(await stores[0].raisedAt('incident')).toBeUndefined();
    expect(await stores[0].raisedAt('another')).toEqual(at);
    expect(await stores[1].raise('incident')).toBe(true);
  });
});
