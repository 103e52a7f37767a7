import {
  mockCredentials,
  mockServices,
  startTestBackend,
  TestDatabases,
} from '@backstage/backend-test-utils';
import request from 'supertest';
import { emailProviderPlugin } from '../plugin';
import {
  createTestPki,
  TestPki,
  trustTestCa,
} from '../__testUtils__/certificates';
import { startSinkProcess } from '../__testUtils__/smtpSinkProcess';
import { migratedSettingsService } from '../__testUtils__/testSettings';
import { DatabaseOutboxStore } from './DatabaseOutboxStore';

// The admin page while the backend delivers a large queue: the same event loop serves both.
jest.setTimeout(120_000);

const databases = TestDatabases.create({ ids: ['POSTGRES_15'] });
const KEY = 'load-test-key-0123456789abcdef0123456789ab';
const ADMIN = 'user:default/ada';
const FROM = 'reports@example.com';
const PASSWORD = 'load-test-password';
const MESSAGES = 5000;

let pki: TestPki;
let untrust: () => void;

beforeAll(async () => {
  pki = await createTestPki();
  untrust = trustTestCa(pki);
});
afterAll(() => untrust());

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil(sorted.length * p) - 1)];
}

describe('the admin API while delivering (POSTGRES_15)', () => {
  it(`answers GET /settings within 100 ms at p99 while ${MESSAGES} messages go out`, async () => {
    const sink = await startSinkProcess({
      certificate: pki.localhost,
      credentials: { username: FROM, password: PASSWORD },
    });
    const knex = await databases.init('POSTGRES_15');
    let backend: Awaited<ReturnType<typeof startTestBackend>> | undefined;
    try {
      const settings = await migratedSettingsService(knex, KEY);
      await settings.save(
        {
          provider: 'smtp',
          smtp: {
            host: 'localhost',
            port: sink.port,
            security: 'starttls',
            from: FROM,
            usernameSameAsFrom: true,
            password: PASSWORD,
          },
        },
        { updatedBy: ADMIN },
      );
      const outbox = new DatabaseOutboxStore(knex);
      for (let first = 0; first < MESSAGES; first += 100) {
        await outbox.enqueueAll(
          Array.from({ length: 100 }, (_, offset) => {
            const i = first + offset;
            return {
              caller: 'plugin:load',
              subject: `Message ${i}`,
              recipientsCount: 1,
              sizeBytes: 200,
              messageId: `<load-${i}@example.com>`,
              payload: JSON.stringify({
                to: [`user${i}@example.com`],
                subject: `Message ${i}`,
                text: `Body ${i}`,
              }),
              expiresAfterMs: 3600_000,
              recipientHashes: [],
            };
          }),
        );
      }
      const sent = async () =>
        Number(
          (
            await knex('email_provider_messages')
              .where({ status: 'sent' })
              .count({ n: '*' })
          )[0].n,
        );

      // The product's delivery defaults; the worker starts with the backend.
      backend = await startTestBackend({
        features: [
          emailProviderPlugin,
          mockServices.database.factory({ knex }),
          mockServices.rootConfig.factory({
            data: {
              emailProvider: { admins: [ADMIN], encryption: { key: KEY } },
            },
          }),
        ],
      });
      const started = Date.now();
      const latencies: number[] = [];
      let done = false;
      const watcher = (async () => {
        while ((await sent()) < MESSAGES) {
          await new Promise(resolve => setTimeout(resolve, 200));
        }
        done = true;
      })();
      // An admin's page reloading its settings, one request after the other.
      while (!done && Date.now() - started < 90_000) {
        const before = performance.now();
        const res = await request(backend.server)
          .get('/api/email-provider/settings')
          .set('Authorization', mockCredentials.user.header(ADMIN));
        latencies.push(performance.now() - before);
        expect(res.status).toBe(200);
        await new Promise(resolve => setTimeout(resolve, 10));
      }
      await watcher;
      const deliveredInMs = Date.now() - started;

      latencies.sort((a, b) => a - b);
      const p50 = percentile(latencies, 0.5);
      const p99 = percentile(latencies, 0.99);
      // eslint-disable-next-line no-console
      console.log(
        `GET /settings during delivery of ${MESSAGES} messages (${deliveredInMs} ms, ${Math.round(
          (MESSAGES * 1000) / deliveredInMs,
        )} msg/s): ${latencies.length} requests, p50 ${p50.toFixed(
          1,
        )} ms, p99 ${p99.toFixed(1)} ms, max ${latencies[
          latencies.length - 1
        ].toFixed(1)} ms`,
      );
      const ids = await sink.receivedMessageIds();
      expect(new Set(ids).size).toBe(MESSAGES);
      expect(latencies.length).toBeGreaterThan(20);
      expect(p99).toBeLessThan(100);
    } finally {
      await backend?.stop();
      await sink.close();
    }
  });
});
