import { mockServices, TestDatabases } from '@backstage/backend-test-utils';
import { ConfigReader } from '@backstage/config';
import { InputError } from '@backstage/errors';
import { Knex } from 'knex';
import {
  exampleMicrosoft365,
  exampleSmtp,
} from '../__testUtils__/testSettings';
import { DatabaseSettingsStore } from './DatabaseSettingsStore';
import { SecretCipher } from './SecretCipher';
import { SettingsService } from './SettingsService';

jest.setTimeout(60_000);

const OLD_KEY = 'old-key-0123456789abcdef0123456789abcdef';
const NEW_KEY = 'new-key-0123456789abcdef0123456789abcdef';

const databases = TestDatabases.create({ ids: ['POSTGRES_15', 'SQLITE_3'] });

const smtp = exampleSmtp;
const microsoft365 = exampleMicrosoft365;

// Each changes where the saved SMTP password would go.
const smtpDestinationChanges: Array<[string, object]> = [
  ['host', { host: 'smtp.other.example' }],
  ['port', { port: 465, security: 'tls' as const }],
  ['security', { security: 'none' as const }],
  ['username', { usernameSameAsFrom: false, username: 'someone@example.com' }],
  ['sender used as username', { from: 'alerts@example.com' }],
];

// Each changes which application the saved client secret would be sent to.
const microsoft365DestinationChanges: Array<[string, object]> = [
  ['tenant', { tenantId: '00000000-1d2b-4a5c-9e7f-0a1b2c3d4e5f' }],
  ['client', { clientId: '99999999-2222-3333-4444-555555555555' }],
];

// Saved by the v1 format under NEW_KEY, which bound a secret to its provider only.
const V1_SECRETS = {
  smtp: {
    plaintext: 'legacy-password',
    ciphertext:
      'v1.aca3d46a53c2.xxuYCMtjieatIh9L.gKVU74a8guklDcN84xN4uA.E7jRa3QvkGHI2aGYVazz',
  },
  microsoft365: {
    plaintext: 'legacy-client-secret',
    ciphertext:
      'v1.aca3d46a53c2.Q7ZRahgyiIMtVwVM.8S7lab0C7vnFKB-IHDGHNQ.mPxvFb-mHiMgF9DnoSS9Xfh84GY',
  },
};

const TAMPERED =
  /integrity check, so it is not used: .* changed outside the portal/;

const by = { updatedBy: 'user:default/ada' };

function cipher(encryption: object) {
  return SecretCipher.fromConfig(
    new ConfigReader({ emailProvider: { encryption } }),
    { logger: mockServices.logger.mock() },
  );
}

describe.each(databases.eachSupportedId())(
  'SettingsService (%s)',
  databaseId => {
    let knex: Knex;
    let store: DatabaseSettingsStore;
    let service: SettingsService;

    /** What a database writer could do: edit the saved row behind the portal's back. */
    async function editRow(changes: { settings?: object; secret?: string }) {
      const row = await knex('email_provider_settings').first();
      await knex('email_provider_settings').update({
        ...(changes.settings && {
          settings: JSON.stringify({
            ...JSON.parse(row.settings),
            ...changes.settings,
          }),
        }),
        ...(changes.secret && { secret: changes.secret }),
      });
    }

    beforeEach(async () => {
      knex = await databases.init(databaseId);
      store = await DatabaseSettingsStore.create({
        database: { getClient: async () => knex },
      });
      service = new SettingsService(store, cipher({ key: NEW_KEY }));
    });

    it('keeps the saved password when the destination is unchanged', async () => {
      await service.save(
        { provider: 'smtp', smtp: { ...smtp, password: 'first' } },
        by,
      );
      const { change } = await service.save(
        { provider: 'smtp', smtp: { ...smtp, fromName: 'ACME Portal' } },
        by,
      );
      expect(change.changedFields).toEqual(['smtp.fromName']);
      expect(await service.getActiveProvider()).toMatchObject({
        provider: 'smtp',
        password: 'first',
        smtp: { fromName: 'ACME Portal' },
      });
    });

    it.each(smtpDestinationChanges)(
      'asks for the password again when the %s changes',
      async (_name, change) => {
        await service.save(
          { provider: 'smtp', smtp: { ...smtp, password: 'first' } },
          by,
        );
        const before = await service.read();
        await expect(
          service.save({ provider: 'smtp', smtp: { ...smtp, ...change } }, by),
        ).rejects.toThrow(
          new InputError(
            'smtp.password: Password is required: the server address, port, security or username changed, and a saved password is never sent to a new destination',
          ),
        );
        expect(await service.read()).toEqual(before);
      },
    );

    it('keeps the password when only the sender changes but the username is set apart', async () => {
      const withUser = {
        ...smtp,
        usernameSameAsFrom: false,
        username: 'relay-user',
      };
      await service.save(
        { provider: 'smtp', smtp: { ...withUser, password: 'first' } },
        by,
      );
      await service.save(
        { provider: 'smtp', smtp: { ...withUser, from: 'alerts@example.com' } },
        by,
      );
      expect(await service.getActiveProvider()).toMatchObject({
        password: 'first',
        smtp: { from: 'alerts@example.com', username: 'relay-user' },
      });
    });

    it('asks for the client secret again when the tenant or client changes', async () => {
      await service.save(
        {
          provider: 'microsoft365',
          microsoft365: { ...microsoft365, clientSecret: 'secret-1' },
        },
        by,
      );
      await service.save(
        {
          provider: 'microsoft365',
          microsoft365: {
            ...microsoft365,
            from: 'alerts@contoso.onmicrosoft.com',
          },
        },
        by,
      );
      expect(await service.getActiveProvider()).toMatchObject({
        clientSecret: 'secret-1',
      });
      await expect(
        service.save(
          {
            provider: 'microsoft365',
            microsoft365: {
              ...microsoft365,
              clientId: '99999999-2222-3333-4444-555555555555',
            },
          },
          by,
        ),
      ).rejects.toThrow(
        /microsoft365\.clientSecret: Client secret is required/,
      );
    });

    describe('large messages', () => {
      const save = (changes: object) =>
        service.save(
          {
            provider: 'microsoft365',
            microsoft365: { ...microsoft365, ...changes },
          },
          by,
        );

      it('round-trips large messages, and reads them back only when on', async () => {
        const on = await save({
          clientSecret: 'secret-1',
          largeMessages: true,
        });
        expect(
          on.settings.provider === 'microsoft365' && on.settings.microsoft365,
        ).toEqual({
          ...microsoft365,
          clientSecretSet: true,
          largeMessages: true,
        });
        expect((await service.read()).settings).toEqual(on.settings);
        expect(await service.getActiveProvider()).toMatchObject({
          microsoft365: { largeMessages: true },
        });
        expect(await service.getActiveSender()).toEqual({
          provider: 'microsoft365',
          from: microsoft365.from,
          largeMessages: true,
        });

        const off = await save({ largeMessages: false });
        const read = (await service.read()).settings;
        expect(read).toEqual(off.settings);
        expect(read.provider === 'microsoft365' && read.microsoft365).toEqual({
          ...microsoft365,
          clientSecretSet: true,
        });
        expect(await service.getActiveSender()).toEqual({
          provider: 'microsoft365',
          from: microsoft365.from,
          largeMessages: false,
        });
      });

      it('keeps the saved secret when only large messages change, and audits the field', async () => {
        await save({ clientSecret: 'secret-1' });

        const on = await save({ largeMessages: true });
        expect(on.change.changedFields).toEqual(['microsoft365.largeMessages']);
        expect(await service.getActiveProvider()).toMatchObject({
          clientSecret: 'secret-1',
          microsoft365: { largeMessages: true },
        });

        const off = await save({});
        expect(off.change.changedFields).toEqual([
          'microsoft365.largeMessages',
        ]);
        // Saving "off" explicitly over off is no change.
        const again = await save({ largeMessages: false });
        expect(again.change.changedFields).toEqual([]);
        expect(await service.getActiveProvider()).toMatchObject({
          clientSecret: 'secret-1',
        });
      });
    });

    it('needs the secret when switching provider, and forgets the old one', async () => {
      await service.save(
        { provider: 'smtp', smtp: { ...smtp, password: 'first' } },
        by,
      );
      await expect(
        service.save({ provider: 'microsoft365', microsoft365 }, by),
      ).rejects.toThrow(/Client secret is required to activate Microsoft 365/);

      const { change } = await service.save(
        {
          provider: 'microsoft365',
          microsoft365: { ...microsoft365, clientSecret: 'secret-1' },
        },
        by,
      );
      expect(change).toMatchObject({
        previousProvider: 'smtp',
        provider: 'microsoft365',
        changedFields: expect.arrayContaining([
          'provider',
          'smtp.password',
          'smtp.host',
          'microsoft365.clientSecret',
          'microsoft365.tenantId',
        ]),
      });
      expect(JSON.stringify(await knex('email_provider_settings'))).not.toMatch(
        /smtp|first/,
      );
    });

    it('rotates keys: reads under a previous key, and a save moves the secret to the current key', async () => {
      const before = new SettingsService(store, cipher({ key: OLD_KEY }));
      await before.save(
        { provider: 'smtp', smtp: { ...smtp, password: 'rotate-me' } },
        by,
      );

      const rotated = new SettingsService(
        store,
        cipher({ key: NEW_KEY, previousKeys: [OLD_KEY] }),
      );
      expect(await rotated.getActiveProvider()).toMatchObject({
        password: 'rotate-me',
      });

      const newKeyOnly = new SettingsService(store, cipher({ key: NEW_KEY }));
      await expect(newKeyOnly.getActiveProvider()).rejects.toThrow(
        /no longer configured/,
      );

      await rotated.save({ provider: 'smtp', smtp }, by);
      expect(await newKeyOnly.getActiveProvider()).toMatchObject({
        password: 'rotate-me',
      });
    });
    describe('a database writer re-pointing a saved secret', () => {
      it.each(smtpDestinationChanges)(
        'refuses the saved password when the %s is changed in the database',
        async (_name, change) => {
          await service.save(
            { provider: 'smtp', smtp: { ...smtp, password: 'first' } },
            by,
          );
          await editRow({ settings: change });

          await expect(service.getActiveProvider()).rejects.toThrow(TAMPERED);
          await expect(service.getActiveRevision()).rejects.toThrow(TAMPERED);
          // Nor can a save carry the secret over to the edited destination.
          await expect(
            service.save(
              { provider: 'smtp', smtp: { ...smtp, ...change } },
              by,
            ),
          ).rejects.toThrow(TAMPERED);

          // Entering the password again is the way out.
          await service.save(
            {
              provider: 'smtp',
              smtp: { ...smtp, ...change, password: 'entered-again' },
            },
            by,
          );
          expect(await service.getActiveProvider()).toMatchObject({
            password: 'entered-again',
          });
        },
      );

      it('still accepts a host whose letter case changed, as the save rule does', async () => {
        await service.save(
          { provider: 'smtp', smtp: { ...smtp, password: 'first' } },
          by,
        );
        await editRow({ settings: { host: 'SMTP.Example.COM' } });
        expect(await service.getActiveProvider()).toMatchObject({
          password: 'first',
        });
      });

      it.each(microsoft365DestinationChanges)(
        'refuses the saved client secret when the %s is changed in the database',
        async (_name, change) => {
          await service.save(
            {
              provider: 'microsoft365',
              microsoft365: { ...microsoft365, clientSecret: 'secret-1' },
            },
            by,
          );
          await editRow({ settings: change });

          await expect(service.getActiveProvider()).rejects.toThrow(TAMPERED);
          await expect(
            service.save(
              {
                provider: 'microsoft365',
                microsoft365: { ...microsoft365, ...change },
              },
              by,
            ),
          ).rejects.toThrow(TAMPERED);
        },
      );
    });

    describe('secrets saved before they were bound to their destination (v1)', () => {
      it('reads an SMTP password, and the next save binds it to its destination', async () => {
        await service.save(
          { provider: 'smtp', smtp: { ...smtp, password: 'replaced' } },
          by,
        );
        await editRow({ secret: V1_SECRETS.smtp.ciphertext });
        expect(await service.getActiveProvider()).toMatchObject({
          password: V1_SECRETS.smtp.plaintext,
        });

        await service.save(
          { provider: 'smtp', smtp: { ...smtp, fromName: 'ACME Portal' } },
          by,
        );
        const row = await knex('email_provider_settings').first();
        expect(row.secret).toMatch(/^v2\./);
        expect(await service.getActiveProvider()).toMatchObject({
          password: V1_SECRETS.smtp.plaintext,
        });
        await editRow({ settings: { host: 'smtp.other.example' } });
        await expect(service.getActiveProvider()).rejects.toThrow(TAMPERED);
      });

      it('reads a Microsoft 365 client secret, and the next save binds it to its application', async () => {
        await service.save(
          {
            provider: 'microsoft365',
            microsoft365: { ...microsoft365, clientSecret: 'replaced' },
          },
          by,
        );
        await editRow({ secret: V1_SECRETS.microsoft365.ciphertext });
        expect(await service.getActiveProvider()).toMatchObject({
          clientSecret: V1_SECRETS.microsoft365.plaintext,
        });

        await service.save(
          {
            provider: 'microsoft365',
            microsoft365: { ...microsoft365, largeMessages: true },
          },
          by,
        );
        const row = await knex('email_provider_settings').first();
        expect(row.secret).toMatch(/^v2\./);
        expect(await service.getActiveProvider()).toMatchObject({
          clientSecret: V1_SECRETS.microsoft365.plaintext,
        });
        await editRow({
          settings: { clientId: '99999999-2222-3333-4444-555555555555' },
        });
        await expect(service.getActiveProvider()).rejects.toThrow(TAMPERED);
      });
    });
  },
);
