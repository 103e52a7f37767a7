import { TestDatabases } from '@backstage/backend-test-utils';
import {
  startMailTestServersBeforeAll,
  startSinkProcess,
} from '@internal/mail-test-servers';
import {
  ADMIN,
  EmailProviderTestBackend,
  startEmailProviderTestBackend,
} from '../__testUtils__/emailProviderTestBackend';
import { queueMessagesForSmtp } from '../__testUtils__/queuedMessages';

// The admin page while the backend delivers a large queue: the same event loop serves both.
jest.setTimeout(120_000);

const databases = TestDatabases.create({ ids: ['POSTGRES_15'] });
const KEY = 'load-test-key-0123456789abcdef0123456789ab';
const FROM = 'reports@example.com';
const PASSWORD = 'load-test-password';
const MESSAGES = 5000;

const servers = startMailTestServersBeforeAll({ trustCa: true });

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil(sorted.length * p) - 1)];
}

describe('the admin API while delivering (POSTGRES_15)', () => {
  it(`answers GET /settings within 100 ms at p99 while ${MESSAGES} messages go out`, async () => {
    const sink = await startSinkProcess({
      certificate: servers.pki.localhost,
      credentials: { username: FROM, password: PASSWORD },
    });
    const knex = await databases.init('POSTGRES_15');
    let backend: EmailProviderTestBackend | undefined;
    try {
      const countWith = await queueMessagesForSmtp(knex, {
        encryptionKey: KEY,
        smtp: { port: sink.port, from: FROM, password: PASSWORD },
        count: MESSAGES,
        caller: 'plugin:load',
        messageIdPrefix: 'load',
        sizeBytes: 200,
      });
      const sent = () => countWith('sent');

      // The product's delivery defaults; the worker starts with the backend.
      backend = await startEmailProviderTestBackend({
        database: knex,
        captureLogs: false,
        emailProvider: { admins: [ADMIN], encryption: { key: KEY } },
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
        const res = await backend.api('get', '/settings');
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
