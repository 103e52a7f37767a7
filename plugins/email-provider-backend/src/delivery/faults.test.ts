import { TestDatabases } from '@backstage/backend-test-utils';
import { ConfigReader } from '@backstage/config';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import knexFactory from 'knex';
import request from 'supertest';
import {
  EmailProviderTestBackend,
  REPORTS_PLUGIN,
  startEmailProviderTestBackend,
} from '../__testUtils__/emailProviderTestBackend';
import {
  createTestPki,
  SmtpSink,
  TcpProxy,
  TestPki,
  trustTestCa,
} from '@internal/mail-test-servers';
import {
  DeliveryProcess,
  killDeliveryProcesses,
  startDeliveryProcess,
} from '../__testUtils__/deliveryProcess';
import { queueMessagesForSmtp } from '../__testUtils__/queuedMessages';
import { DeliveryOptions, readDeliveryOptions } from './DeliveryOptions';

// Backend instances as separate processes on one PostgreSQL: killed or stopped mid-delivery, two
// at once, restarted in turn, or cut off from the database.
jest.setTimeout(180_000);

const databases = TestDatabases.create({ ids: ['POSTGRES_15'] });
const KEY = 'fault-test-key-0123456789abcdef0123456789';
const FROM = 'reports@example.com';
const PASSWORD = 'fault-test-password';

const deliveryConfig = {
  maxAttempts: 20,
  retryDelayMs: 200,
  maxRetryDelayMs: 1000,
  pollIntervalMs: 100,
  // Short, so the restarted instance takes over the dead one's messages within seconds.
  claimLeaseMs: 3000,
  smtp: { maxInFlight: 20 },
};
const options = readDeliveryOptions(
  new ConfigReader({ emailProvider: { delivery: deliveryConfig } }),
);

let pki: TestPki;
let caFile: string;

beforeAll(async () => {
  pki = await createTestPki();
  caFile = path.join(
    fs.mkdtempSync(path.join(os.tmpdir(), 'faults-')),
    'ca.pem',
  );
  fs.writeFileSync(caFile, pki.ca.cert);
});

function startInstance(
  connection: object,
  overrides: { options?: DeliveryOptions } = {},
): Promise<DeliveryProcess> {
  return startDeliveryProcess(
    {
      connection,
      encryptionKey: KEY,
      options: overrides.options ?? options,
    },
    caFile,
  );
}

async function waitFor(
  condition: () => Promise<boolean> | boolean,
  timeoutMs = 150_000,
) {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error('Timed out waiting');
    await new Promise(resolve => setTimeout(resolve, 50));
  }
}

function startSink(acceptDelayMs = 0) {
  return SmtpSink.start({
    certificate: pki.localhost,
    credentials: { username: FROM, password: PASSWORD },
    acceptDelayMs,
  });
}

/** A migrated database with the sink as the active provider and `count` messages queued. */
async function prepare(count: number, sink: SmtpSink) {
  const knex = await databases.init('POSTGRES_15');
  const countWith = await queueMessagesForSmtp(knex, {
    encryptionKey: KEY,
    smtp: { port: sink.port, from: FROM, password: PASSWORD },
    count,
    caller: 'plugin:faults',
    messageIdPrefix: 'fault',
    sizeBytes: 10,
  });
  return { knex, count: countWith };
}

/** Every message the sink received, with how many arrived more than once. */
function deliveries(sink: SmtpSink) {
  const ids = sink.received.map(m => m.parsed.messageId!);
  const unique = new Set(ids);
  return { unique, duplicates: ids.length - unique.size };
}

describe('delivery across processes (POSTGRES_15)', () => {
  it('survives a SIGKILL mid-delivery: all arrive, duplicates only of messages in flight, same Message-ID', async () => {
    const sink = await startSink(5);
    try {
      const { knex, count } = await prepare(1000, sink);
      const connection = knex.client.config.connection;
      const first = await startInstance(connection);
      await waitFor(() => sink.received.length >= 300);
      await first.kill();
      const inFlightAtKill = await count('sending');

      await startInstance(connection);
      await waitFor(async () => (await count('sent')) === 1000);

      const { unique, duplicates } = deliveries(sink);
      expect(unique.size).toBe(1000);
      expect(
        [...unique].every(id => /^<fault-\d+@example\.com>$/.test(id)),
      ).toBe(true);
      expect(duplicates).toBeLessThanOrEqual(inFlightAtKill);
      expect(await count('failed')).toBe(0);
    } finally {
      await killDeliveryProcesses();
      await sink.close();
    }
  });

  it('shares 5,000 messages between two instances: every message exactly once', async () => {
    const sink = await startSink();
    try {
      const { knex, count } = await prepare(5000, sink);
      const connection = knex.client.config.connection;
      await Promise.all([startInstance(connection), startInstance(connection)]);
      await waitFor(async () => (await count('sent')) === 5000);
      const { unique, duplicates } = deliveries(sink);
      expect(unique.size).toBe(5000);
      expect(duplicates).toBe(0);
      const workers = await knex('email_provider_messages').distinct(
        'provider',
      );
      expect(workers).toEqual([{ provider: 'smtp' }]);
    } finally {
      await killDeliveryProcesses();
      await sink.close();
    }
  });
});

describe('graceful shutdown (POSTGRES_15)', () => {
  it('on SIGTERM finishes the messages being sent and records them, leaving no claim behind', async () => {
    const sink = await startSink(5);
    try {
      const { knex, count } = await prepare(1000, sink);
      const connection = knex.client.config.connection;
      const first = await startInstance(connection);
      await waitFor(() => sink.received.length >= 200);
      const { code, tookMs } = await first.terminate();
      expect(code).toBe(0);
      // Sends of a few milliseconds each finish well inside the grace period.
      expect(tookMs).toBeLessThan(5_000);
      expect(await count('sending')).toBe(0);
      const sentBefore = await count('sent');
      expect(sentBefore).toBe(deliveries(sink).unique.size);

      await startInstance(connection);
      await waitFor(async () => (await count('sent')) === 1000);
      const { unique, duplicates } = deliveries(sink);
      expect(unique.size).toBe(1000);
      expect(duplicates).toBe(0);
      expect(first.output()).not.toMatch(/Unhandled rejection/);
    } finally {
      await killDeliveryProcesses();
      await sink.close();
    }
  });

  it('on SIGTERM hands back the messages a slow server has not taken within the grace period', async () => {
    // Each message takes the server 20 s: none can finish within a grace period of one second.
    const sink = await startSink(20_000);
    try {
      const { knex, count } = await prepare(50, sink);
      const instance = await startInstance(knex.client.config.connection, {
        options: { ...options, shutdownGraceMs: 1000 },
      });
      await waitFor(async () => (await count('sending')) === 20);
      // Some of them are on the wire, waiting for the server's answer.
      await new Promise(resolve => setTimeout(resolve, 500));
      const { code, tookMs } = await instance.terminate();
      expect(code).toBe(0);
      expect(tookMs).toBeLessThan(4_000);
      const rows = await knex('email_provider_messages').select(
        'status',
        'claimed_by',
        'claimed_until',
        'attempts',
      );
      expect(rows).toHaveLength(50);
      // Due again at once, for any instance, and the interrupted attempt does not count.
      expect(rows).toEqual(
        Array(50).fill({
          status: 'queued',
          claimed_by: null,
          claimed_until: null,
          attempts: 0,
        }),
      );
      expect(
        await knex('email_provider_messages')
          .where('next_attempt_at', '>', new Date())
          .count({ n: '*' }),
      ).toEqual([{ n: '0' }]);
    } finally {
      await killDeliveryProcesses();
      await sink.close();
    }
  });

  it('loses and duplicates nothing over a rolling restart of two replicas', async () => {
    const total = 2000;
    const sink = await startSink(10);
    try {
      const { knex, count } = await prepare(total, sink);
      const connection = knex.client.config.connection;
      let replicas = [await startInstance(connection)];
      const restarts: number[] = [];
      // Start a new replica, then stop the older one, five times over, while delivery goes on.
      for (let step = 1; step <= 5; step++) {
        await waitFor(() => sink.received.length >= (step * total) / 8);
        const started = await startInstance(connection);
        const [oldest, ...rest] = replicas;
        const { code, tookMs } = await oldest.terminate();
        expect(code).toBe(0);
        expect(oldest.output()).not.toMatch(/Unhandled rejection/);
        restarts.push(tookMs);
        replicas = [...rest, started];
      }
      await waitFor(async () => (await count('sent')) === total);
      const { unique, duplicates } = deliveries(sink);
      // eslint-disable-next-line no-console
      console.log(
        `rolling restart: ${total} messages, SIGTERM to exit ${restarts.join(
          ', ',
        )} ms`,
      );
      expect(unique.size).toBe(total);
      expect(duplicates).toBe(0);
      expect(Math.max(...restarts)).toBeLessThan(5_000);
    } finally {
      await killDeliveryProcesses();
      await sink.close();
    }
  });
});

describe('PostgreSQL away during delivery (POSTGRES_15)', () => {
  const SERVICE = REPORTS_PLUGIN;
  const quietKnexLog = {
    warn: () => undefined,
    error: () => undefined,
    debug: () => undefined,
    deprecate: () => undefined,
  };

  it('answers enqueue with 503 once no database connection frees up in time', async () => {
    const sink = await startSink();
    const { knex } = await prepare(0, sink);
    const backendKnex = knexFactory({
      client: 'pg',
      connection: knex.client.config.connection,
      pool: { min: 0, max: 1 },
      acquireConnectionTimeout: 1000,
      log: quietKnexLog,
    });
    let backend: EmailProviderTestBackend | undefined;
    try {
      backend = await startEmailProviderTestBackend({
        database: backendKnex,
        emailProvider: { encryption: { key: KEY } },
      });
      // The pool's only connection, held: the enqueue waits for the pool until its timeout.
      const held = await backendKnex.transaction();
      const started = Date.now();
      const res = await backend.api('post', '/messages', SERVICE, {
        to: ['ada@example.com'],
        subject: 'Hello',
        text: 'x',
      });
      const tookMs = Date.now() - started;
      await held.rollback();
      expect(res.status).toBe(503);
      expect(res.body.error.name).toBe('ServiceUnavailableError');
      expect(tookMs).toBeLessThan(3_000);
    } finally {
      await backend?.stop();
      await backendKnex.destroy();
      await sink.close();
    }
  });

  it('loses nothing, sends nothing twice, answers enqueue with 503 and resumes by itself', async () => {
    const total = 1000;
    const outageMs = 3000;
    const sink = await startSink(5);
    const untrust = trustTestCa(pki);
    const { knex, count } = await prepare(total, sink);
    const direct = knex.client.config.connection as {
      host: string;
      port: string | number;
    };
    const proxy = await TcpProxy.start({
      host: direct.host,
      port: Number(direct.port),
    });
    const proxied = { ...direct, host: '127.0.0.1', port: proxy.port };
    const backendKnex = knexFactory({
      client: 'pg',
      connection: proxied,
      log: quietKnexLog,
    });
    // A lease longer than the outage: a message sent while the database is away must be
    // recorded once it is back, not sent again when its claim lapses.
    const leasedOptions = { ...options, claimLeaseMs: 10_000 };
    let backend: EmailProviderTestBackend | undefined;
    try {
      // Two replicas through the proxy: one serves the API (and delivers), one only delivers.
      backend = await startEmailProviderTestBackend({
        database: backendKnex,
        emailProvider: {
          encryption: { key: KEY },
          delivery: { ...deliveryConfig, claimLeaseMs: 10_000 },
        },
      });
      const { api } = backend;
      const instance = await startInstance(proxied, {
        options: leasedOptions,
      });
      const enqueue = (i: number) =>
        api('post', '/messages', SERVICE, {
          to: [`late${i}@example.com`],
          subject: 'Late',
          text: 'x',
        });
      await waitFor(() => sink.received.length >= 200);
      await proxy.cut();
      const inFlightAtCut = await count('sending');
      const cutAt = Date.now();

      const refused = [];
      while (Date.now() - cutAt < outageMs - 500) {
        const started = Date.now();
        const res = await enqueue(refused.length);
        refused.push({ status: res.status, tookMs: Date.now() - started });
        await new Promise(resolve => setTimeout(resolve, 200));
      }
      await new Promise(resolve =>
        setTimeout(resolve, outageMs - (Date.now() - cutAt)),
      );
      const receivedBeforeRestore = sink.received.length;
      await proxy.restore();
      const restoredAt = Date.now();
      await waitFor(() => sink.received.length > receivedBeforeRestore, 10_000);
      const resumedAfterMs = Date.now() - restoredAt;

      let accepted: request.Response | undefined;
      await waitFor(async () => {
        accepted = await enqueue(-1);
        return accepted.status === 202;
      }, 10_000);
      const acceptedAfterMs = Date.now() - restoredAt;
      await waitFor(async () => (await count('sent')) === total + 1, 60_000);
      // eslint-disable-next-line no-console
      console.log(
        `database outage: ${inFlightAtCut} in flight at the cut; enqueue answered ${refused
          .map(r => `${r.status} in ${r.tookMs} ms`)
          .join(
            ', ',
          )}; delivery resumed ${resumedAfterMs} ms and enqueue ${acceptedAfterMs} ms after the database came back`,
      );

      expect(refused.length).toBeGreaterThan(0);
      for (const { status, tookMs } of refused) {
        expect(status).toBe(503);
        expect(tookMs).toBeLessThan(2_000);
      }
      expect(resumedAfterMs).toBeLessThan(5_000);
      expect(acceptedAfterMs).toBeLessThan(5_000);
      // Only the one accepted after the outage was stored; refused ones were not.
      expect(await knex('email_provider_messages').count({ n: '*' })).toEqual([
        { n: String(total + 1) },
      ]);
      expect(instance.output()).not.toMatch(/Unhandled rejection/);
      const { unique, duplicates } = deliveries(sink);
      expect(unique.size).toBe(total + 1);
      expect(duplicates).toBe(0);
      expect(await count('failed')).toBe(0);
    } finally {
      await backend?.stop();
      await killDeliveryProcesses();
      untrust();
      await proxy.close();
      await backendKnex.destroy();
      await sink.close();
    }
  });
});
