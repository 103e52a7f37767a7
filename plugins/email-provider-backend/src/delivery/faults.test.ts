import { TestDatabases } from '@backstage/backend-test-utils';
import { ConfigReader } from '@backstage/config';
import { ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Knex } from 'knex';
import { createTestPki, TestPki } from '../__testUtils__/certificates';
import type { DeliveryProcessConfig } from '../__testUtils__/deliveryProcess';
import { SmtpSink } from '../__testUtils__/SmtpSink';
import { migratedSettingsService } from '../__testUtils__/testSettings';
import { DatabaseOutboxStore } from './DatabaseOutboxStore';
import { readDeliveryOptions } from './DeliveryOptions';

// Backend instances as separate processes on one PostgreSQL: killed mid-delivery, or two at once.
jest.setTimeout(180_000);

const databases = TestDatabases.create({ ids: ['POSTGRES_15'] });
const KEY = 'fault-test-key-0123456789abcdef0123456789';
const FROM = 'reports@example.com';
const PASSWORD = 'fault-test-password';

const options = readDeliveryOptions(
  new ConfigReader({
    emailProvider: {
      delivery: {
        maxAttempts: 20,
        retryDelayMs: 200,
        maxRetryDelayMs: 1000,
        pollIntervalMs: 100,
        // Short, so the restarted instance takes over the dead one's messages within seconds.
        claimLeaseMs: 3000,
        smtp: { maxInFlight: 20 },
      },
    },
  }),
);

let pki: TestPki;
let caFile: string;
const children = new Set<ChildProcess>();

beforeAll(async () => {
  pki = await createTestPki();
  caFile = path.join(
    fs.mkdtempSync(path.join(os.tmpdir(), 'faults-')),
    'ca.pem',
  );
  fs.writeFileSync(caFile, pki.ca.cert);
});

afterEach(() => {
  children.forEach(child => child.kill('SIGKILL'));
  children.clear();
});

async function startInstance(knex: Knex): Promise<ChildProcess> {
  const config: DeliveryProcessConfig = {
    connection: knex.client.config.connection,
    encryptionKey: KEY,
    options,
  };
  const child = spawn(
    process.execPath,
    [
      '--require',
      require.resolve('@backstage/cli/config/nodeTransform.cjs'),
      path.resolve(__dirname, '../__testUtils__/deliveryProcess.ts'),
    ],
    {
      env: {
        ...process.env,
        NODE_EXTRA_CA_CERTS: caFile,
        DELIVERY_PROCESS_CONFIG: JSON.stringify(config),
      },
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  children.add(child);
  await new Promise<void>((resolve, reject) => {
    child.stdout!.on('data', chunk => {
      if (String(chunk).includes('ready')) resolve();
    });
    child.once('exit', code =>
      reject(new Error(`instance exited with ${code}`)),
    );
  });
  return child;
}

async function waitFor(condition: () => Promise<boolean>, timeoutMs = 150_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error('Timed out waiting');
    await new Promise(resolve => setTimeout(resolve, 100));
  }
}

async function prepare(count: number, sink: SmtpSink) {
  const knex = await databases.init('POSTGRES_15');
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
    { updatedBy: 'user:default/ada' },
  );
  const outbox = new DatabaseOutboxStore(knex);
  for (let i = 0; i < count; i++) {
    await outbox.enqueueAll([
      {
        caller: 'plugin:faults',
        subject: `Message ${i}`,
        recipientsCount: 1,
        sizeBytes: 10,
        messageId: `<fault-${i}@example.com>`,
        payload: JSON.stringify({
          to: [`user${i}@example.com`],
          subject: `Message ${i}`,
          text: `Body ${i}`,
        }),
        expiresAfterMs: 3600_000,
      },
    ]);
  }
  const count_ = async (status: string) =>
    Number(
      (
        await knex('email_provider_messages')
          .where({ status })
          .count({ n: '*' })
      )[0].n,
    );
  return { knex, count: count_ };
}

describe('delivery across processes (POSTGRES_15)', () => {
  it('survives a SIGKILL mid-delivery: all arrive, duplicates only of messages in flight, same Message-ID', async () => {
    const sink = await SmtpSink.start({
      certificate: pki.localhost,
      credentials: { username: FROM, password: PASSWORD },
      acceptDelayMs: 5,
    });
    try {
      const { knex, count } = await prepare(1000, sink);
      const first = await startInstance(knex);
      await waitFor(async () => sink.received.length >= 300);
      first.kill('SIGKILL');
      await new Promise(resolve => first.once('exit', resolve));
      const inFlightAtKill = await count('sending');

      await startInstance(knex);
      await waitFor(async () => (await count('sent')) === 1000);

      const ids = sink.received.map(m => m.parsed.messageId);
      const unique = new Set(ids);
      expect(unique.size).toBe(1000);
      expect(
        [...unique].every(id => /^<fault-\d+@example\.com>$/.test(id!)),
      ).toBe(true);
      expect(ids.length - unique.size).toBeLessThanOrEqual(inFlightAtKill);
      expect(await count('failed')).toBe(0);
    } finally {
      await sink.close();
    }
  });

  it('shares 5,000 messages between two instances: every message exactly once', async () => {
    const sink = await SmtpSink.start({
      certificate: pki.localhost,
      credentials: { username: FROM, password: PASSWORD },
    });
    try {
      const { knex, count } = await prepare(5000, sink);
      await Promise.all([startInstance(knex), startInstance(knex)]);
      await waitFor(async () => (await count('sent')) === 5000);
      const ids = sink.received.map(m => m.parsed.messageId);
      expect(ids).toHaveLength(5000);
      expect(new Set(ids).size).toBe(5000);
      const workers = await knex('email_provider_messages').distinct(
        'provider',
      );
      expect(workers).toEqual([{ provider: 'smtp' }]);
    } finally {
      await sink.close();
    }
  });
});
