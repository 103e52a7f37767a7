import { ConfigReader } from '@backstage/config';
import type { Microsoft365Cloud } from '@email-provider/backstage-plugin-email-provider-common';
import {
  createTestPki,
  MicrosoftFake,
  startMicrosoftFake,
  TestPki,
  trustTestCa,
} from '@internal/mail-test-servers';
import type { ActiveProvider } from '../settings/SettingsService';
import { DestinationGuard } from './DestinationGuard';
import { MailProviderFactory } from './MailProviderFactory';
import type { OutgoingMessage } from './types';

const SENDER = 'reports@contoso.onmicrosoft.com';
const TENANT = '6a0c1a44-3bb6-4d54-8d4e-5b8d0d8c7b21';
const CLIENT = '0f8c7a9e-4a1d-4c56-9b7e-2f1a3c5d7e90';

function message(): OutgoingMessage {
  return {
    to: [{ address: 'ada@example.com' }],
    subject: 'Weekly report',
    text: 'See attached.',
    messageId: '<cloud-test@backstage.example>',
  };
}

function microsoft365(
  cloud: Microsoft365Cloud | undefined,
  app: { tenantId: string; clientId: string; clientSecret: string } = {
    tenantId: TENANT,
    clientId: CLIENT,
    clientSecret: 'Qx8~sEcReT.value_abcdefghijklmnopqrstu',
  },
): ActiveProvider {
  return {
    provider: 'microsoft365',
    microsoft365: {
      from: SENDER,
      tenantId: app.tenantId,
      clientId: app.clientId,
      ...(cloud ? { cloud } : {}),
    },
    clientSecret: app.clientSecret,
  };
}

/** What a request through `fetch` went to (without the query MSAL adds) and carried. */
type Exchange = { method: string; url: string; body: string };

/**
 * Answers every request in this process's `fetch` as Entra's token endpoint and Graph's sendMail
 * would, keeping what was asked: a national cloud's real hosts are never contacted.
 */
function answerLikeMicrosoft(): Exchange[] {
  const exchanges: Exchange[] = [];
  jest
    .spyOn(globalThis, 'fetch')
    .mockImplementation(async (input, init = {}) => {
      const url = new URL(String(input));
      exchanges.push({
        method: init.method ?? 'GET',
        url: `${url.origin}${url.pathname}`,
        body: typeof init.body === 'string' ? init.body : '',
      });
      if (url.pathname.endsWith('/oauth2/v2.0/token')) {
        return new Response(
          JSON.stringify({
            token_type: 'Bearer',
            expires_in: 3599,
            ext_expires_in: 3599,
            access_token: 'eyJ0eXAiOiJKV1QifQ.eyJyb2xlcyI6W119.c2ln',
          }),
          { status: 200, headers: { 'Content-Type': 'application/json' } },
        );
      }
      return new Response(null, { status: 202 });
    });
  return exchanges;
}

describe('MailProviderFactory for Microsoft 365', () => {
  afterEach(() => jest.restoreAllMocks());

  it.each([
    [
      'no cloud set (global)',
      undefined,
      'https://login.microsoftonline.com',
      'https://graph.microsoft.com',
    ],
    [
      'global',
      'global',
      'https://login.microsoftonline.com',
      'https://graph.microsoft.com',
    ],
    [
      'US Government (GCC High)',
      'usgov-high',
      'https://login.microsoftonline.us',
      'https://graph.microsoft.us',
    ],
    [
      'US Government (DoD)',
      'usgov-dod',
      'https://login.microsoftonline.us',
      'https://dod-graph.microsoft.us',
    ],
    [
      'China (21Vianet)',
      'china',
      'https://login.chinacloudapi.cn',
      'https://microsoftgraph.chinacloudapi.cn',
    ],
  ] as const)(
    "%s: a token from the cloud's Entra, for and through its Graph",
    async (_case, cloud, authority, graph) => {
      const exchanges = answerLikeMicrosoft();
      const factory = MailProviderFactory.fromConfig(new ConfigReader({}));

      await factory.create(microsoft365(cloud)).send(message());

      expect(exchanges.map(e => `${e.method} ${e.url}`)).toEqual([
        `POST ${authority}/${TENANT}/oauth2/v2.0/token`,
        `POST ${graph}/v1.0/users/${encodeURIComponent(SENDER)}/sendMail`,
      ]);
      expect(new URLSearchParams(exchanges[0].body).get('scope')).toBe(
        `${graph}/.default`,
      );
    },
  );

  it('lets each app-config override win on its own over the cloud', async () => {
    const exchanges = answerLikeMicrosoft();
    const factory = MailProviderFactory.fromConfig(
      new ConfigReader({
        emailProvider: {
          microsoft365: { authorityHost: 'https://login.proxy.example/' },
        },
      }),
    );

    await factory.create(microsoft365('usgov-dod')).send(message());

    expect(exchanges.map(e => e.url)).toEqual([
      `https://login.proxy.example/${TENANT}/oauth2/v2.0/token`,
      `https://dod-graph.microsoft.us/v1.0/users/${encodeURIComponent(
        SENDER,
      )}/sendMail`,
    ]);
    expect(new URLSearchParams(exchanges[0].body).get('scope')).toBe(
      'https://dod-graph.microsoft.us/.default',
    );
  });

  describe('against the Microsoft fake', () => {
    let pki: TestPki;
    let untrust: () => void;
    let fake: MicrosoftFake;

    beforeAll(async () => {
      pki = await createTestPki();
      untrust = trustTestCa(pki);
      fake = await startMicrosoftFake(pki, { mailboxes: [SENDER] });
    });

    afterAll(async () => {
      await fake.close();
      untrust();
    });

    it.each(['usgov-high', 'usgov-dod', 'china'] as const)(
      'sends through both configured overrides with the %s cloud',
      async cloud => {
        fake.reset();
        const factory = new MailProviderFactory({
          destinations: new DestinationGuard(),
          authorityHost: fake.authorityHost,
          graphBaseUrl: fake.graphBaseUrl,
        });

        await factory
          .create(microsoft365(cloud, fake.settings))
          .send(message());

        expect(fake.counters.tokenRequests).toBe(1);
        expect(fake.received).toHaveLength(1);
      },
    );
  });
});
