/*
 * Delivery benchmark: the email-provider plugin against raw nodemailer, in one run, on this
 * machine, into the same local SMTP server.
 *
 *   yarn bench            (BENCH_MESSAGES=2000, BENCH_LARGE_MESSAGES=1000 by default)
 *
 * Prints:
 *   1. end-to-end throughput: messages accepted over HTTP (POST /messages, service token) until
 *      received by the SMTP server, against raw pooled nodemailer sending the same messages;
 *   2. enqueue latency (POST /messages) p50 / p99;
 *   3. peak memory while messages with 1 MB attachments go out;
 *   4. for the Microsoft 365 fake: token requests and the most Graph requests in flight.
 * Runs on PostgreSQL (BACKSTAGE_TEST_DATABASE_POSTGRES15_CONNECTION_STRING or the local server).
 */
import { mockCredentials } from '@backstage/backend-test-utils';
import knexFactory from 'knex';
import { AddressInfo } from 'node:net';
import nodemailer from 'nodemailer';
import { SMTPServer } from 'smtp-server';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { unusedPort } from '../plugins/email-provider-backend/src/__testUtils__/SmtpSink';
import {
  createTestPki,
  TestPki,
  trustTestCa,
} from '../plugins/email-provider-backend/src/__testUtils__/certificates';
import { startMicrosoftFake } from '../plugins/email-provider-backend/src/__testUtils__/MicrosoftFake';

const MESSAGES = Number(process.env.BENCH_MESSAGES ?? 2000);
const LARGE_MESSAGES = Number(process.env.BENCH_LARGE_MESSAGES ?? 1000);
const GRAPH_MESSAGES = Number(process.env.BENCH_GRAPH_MESSAGES ?? 1000);
const PG =
  process.env.BACKSTAGE_TEST_DATABASE_POSTGRES15_CONNECTION_STRING ??
  'postgresql://postgres@127.0.0.1:5432';
const FROM = 'bench@example.com';
const PASSWORD = 'bench-password';
const SENDERS = 20;
let caFile = '';

/** An SMTP server that counts what it receives and keeps nothing, so it measures the sender. */
async function startCountingServer(pki: TestPki) {
  let received = 0;
  const waiters: Array<{ n: number; resolve: () => void }> = [];
  const server = new SMTPServer({
    key: pki.localhost.key,
    cert: pki.localhost.cert,
    logger: false,
    onAuth: (auth, _session, callback) =>
      auth.password === PASSWORD
        ? callback(null, { user: auth.username })
        : callback(new Error('535 Authentication failed')),
    onData: (stream, _session, callback) => {
      stream.on('data', () => undefined);
      stream.on('end', () => {
        received += 1;
        waiters.filter(w => received >= w.n).forEach(w => w.resolve());
        callback();
      });
    },
  });
  server.on('error', () => undefined);
  await new Promise<void>(resolve =>
    server.listen(0, '127.0.0.1', () => resolve()),
  );
  return {
    port: (server.server.address() as AddressInfo).port,
    get received() {
      return received;
    },
    reset() {
      received = 0;
    },
    until: (n: number) =>
      new Promise<void>(resolve =>
        received >= n ? resolve() : waiters.push({ n, resolve }),
      ),
    close: () => new Promise<void>(resolve => server.close(() => resolve())),
  };
}

/** CPU seconds used so far by a process and its threads, from /proc. */
function processCpuSeconds(pid: number): number {
  try {
    const fields = fs
      .readFileSync(`/proc/${pid}/stat`, 'utf8')
      .replace(/^.*\) /, '')
      .split(' ');
    // utime and stime, fields 14 and 15 of stat(5), in clock ticks of 1/100 s.
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return 0; // The process ended in between.
  }
}

/** CPU seconds of every PostgreSQL server process on this machine. */
function postgresCpuSeconds(): number {
  return fs
    .readdirSync('/proc')
    .filter(entry => /^\d+$/.test(entry))
    .filter(pid => {
      try {
        return fs.readFileSync(`/proc/${pid}/comm`, 'utf8').startsWith('postgres');
      } catch {
        return false;
      }
    })
    .reduce((sum, pid) => sum + processCpuSeconds(Number(pid)), 0);
}

/** CPU used by each part of a run, per message, in milliseconds. */
function cpuMeter(portalCpuSeconds: () => number = () => 0) {
  const read = () => ({
    bench: process.cpuUsage(),
    portal: portalCpuSeconds(),
    postgres: postgresCpuSeconds(),
  });
  const start = read();
  return (messages: number) => {
    const end = read();
    const ms = (seconds: number) => ((seconds * 1000) / messages).toFixed(2);
    const benchSeconds =
      (end.bench.user +
        end.bench.system -
        start.bench.user -
        start.bench.system) /
      1e6;
    return `CPU per message: portal ${ms(end.portal - start.portal)} ms, PostgreSQL ${ms(
      end.postgres - start.postgres,
    )} ms, benchmark process (callers, SMTP server) ${ms(benchSeconds)} ms`;
  };
}

function percentile(values: number[], p: number) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[
    Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))
  ];
}

async function inParallel<T>(
  count: number,
  concurrency: number,
  task: (i: number) => Promise<T>,
) {
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < count) {
        await task(next++);
      }
    }),
  );
}

function message(i: number, attachment?: string) {
  return {
    to: [`user${i}@example.com`],
    subject: `Report ${i}`,
    text: `Hello, this is report ${i}.`,
    ...(attachment
      ? {
          attachments: [
            {
              filename: `report-${i}.bin`,
              contentType: 'application/octet-stream',
              contentBase64: attachment,
            },
          ],
        }
      : {}),
  };
}

async function rawNodemailer(port: number, count: number) {
  const transport = nodemailer.createTransport({
    pool: true,
    maxConnections: 5,
    host: 'localhost',
    port,
    requireTLS: true,
    auth: { user: FROM, pass: PASSWORD },
  });
  const started = performance.now();
  await inParallel(count, 50, async i => {
    const m = message(i);
    await transport.sendMail({
      from: FROM,
      to: m.to,
      subject: m.subject,
      text: m.text,
    });
  });
  const seconds = (performance.now() - started) / 1000;
  transport.close();
  return count / seconds;
}

/** Starts the portal backend in a process of its own, as it runs in production. */
async function startPortal(emailProvider: object) {
  const port = await unusedPort();
  const prefix = `email_provider_bench_${Date.now()}_`;
  const url = new URL(PG);
  const config = {
    backend: {
      baseUrl: `http://127.0.0.1:${port}`,
      listen: { port, host: '127.0.0.1' },
      database: {
        client: 'pg',
        connection: {
          host: url.hostname,
          port: Number(url.port || 5432),
          user: url.username || 'postgres',
          password: url.password,
        },
        prefix,
      },
    },
    permission: { enabled: false },
    emailProvider: {
      admins: ['user:default/bench'],
      encryption: { key: 'bench-key-0123456789abcdef0123456789abcdef' },
      ...emailProvider,
    },
  };
  const child = spawn(
    process.execPath,
    [
      ...(process.env.BENCH_PORTAL_NODE_ARGS?.split(' ').filter(Boolean) ?? []),
      '--require',
      require.resolve('@backstage/cli/config/nodeTransform.cjs'),
      path.resolve(__dirname, 'portal.ts'),
    ],
    {
      env: {
        ...process.env,
        NODE_EXTRA_CA_CERTS: caFile,
        BENCH_PORTAL_CONFIG: JSON.stringify(config),
      },
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  process.once('exit', () => child.kill('SIGKILL'));
  await new Promise<void>((resolve, reject) => {
    child.stdout!.on(
      'data',
      chunk => String(chunk).includes('ready') && resolve(),
    );
    child.once('exit', code => reject(new Error(`portal exited with ${code}`)));
  });
  const db = knexFactory({
    client: 'pg',
    connection: {
      ...config.backend.database.connection,
      database: `${prefix}email-provider`,
    },
  });
  const admin = mockCredentials.user.header('user:default/bench');
  const service = mockCredentials.service.header({
    onBehalfOf: mockCredentials.service('plugin:bench'),
    targetPluginId: 'email-provider',
  });
  const base = `http://127.0.0.1:${port}/api/email-provider`;
  const call = async (
    method: string,
    route: string,
    authorization: string,
    body?: object,
  ) => {
    const response = await fetch(`${base}${route}`, {
      method,
      headers: { authorization, 'content-type': 'application/json' },
      body: body && JSON.stringify(body),
    });
    await response.arrayBuffer();
    return response.status;
  };
  return {
    db,
    configure: async (settings: object) => {
      const status = await call('PUT', '/settings', admin, settings);
      if (status !== 200) throw new Error(`PUT /settings answered ${status}`);
    },
    postMessage: async (body: object) => {
      const status = await call('POST', '/messages', service, body);
      if (status !== 202) throw new Error(`POST /messages answered ${status}`);
    },
    cpuSeconds: () => processCpuSeconds(child.pid!),
    /** The portal process's resident memory, from /proc. */
    rss: async () => {
      const status = await fs.promises.readFile(
        `/proc/${child.pid}/status`,
        'utf8',
      );
      return Number(/VmRSS:\s+(\d+)/.exec(status)![1]) * 1024;
    },
    stop: async () => {
      await db.destroy();
      child.kill('SIGTERM');
      await new Promise(resolve => child.once('exit', resolve));
      const admin_ = knexFactory({ client: 'pg', connection: PG });
      await admin_.raw(
        `drop database if exists "${prefix}email-provider" with (force)`,
      );
      await admin_.destroy();
    },
  };
}

async function main() {
  const pki = await createTestPki();
  trustTestCa(pki);
  caFile = path.join(
    fs.mkdtempSync(path.join(os.tmpdir(), 'bench-')),
    'ca.pem',
  );
  fs.writeFileSync(caFile, pki.ca.cert);
  const smtp = await startCountingServer(pki);
  const results: string[] = [];
  const line = (label: string, value: string) => {
    results.push(`${label.padEnd(62)} ${value}`);
    console.log(`${label.padEnd(62)} ${value}`);
  };
  const smtpSettings = {
    provider: 'smtp',
    smtp: {
      host: 'localhost',
      port: smtp.port,
      security: 'starttls',
      from: FROM,
      usernameSameAsFrom: true,
      password: PASSWORD,
    },
  };

  try {
    // Warm both paths (TLS, pools, JIT) before measuring.
    await rawNodemailer(smtp.port, 100);
    smtp.reset();
    const rawCpu = cpuMeter();
    const baseline = await rawNodemailer(smtp.port, MESSAGES);
    const rawCpuLine = rawCpu(MESSAGES);
    smtp.reset();

    const portal = await startPortal({
      delivery: {
        pollIntervalMs: 100,
        smtp: {
          maxConnections: 5,
        },
      },
    });
    await portal.configure(smtpSettings);
    const post = portal.postMessage;
    await inParallel(100, SENDERS, i => post(message(i)));
    await smtp.until(100);
    smtp.reset();

    const latencies: number[] = [];
    const oursCpu = cpuMeter(portal.cpuSeconds);
    const started = performance.now();
    await inParallel(MESSAGES, SENDERS, async i => {
      const t = performance.now();
      await post(message(i));
      latencies.push(performance.now() - t);
    });
    await smtp.until(MESSAGES);
    const ours = MESSAGES / ((performance.now() - started) / 1000);
    const oursCpuLine = oursCpu(MESSAGES);

    line(
      `raw pooled nodemailer (5 connections), ${MESSAGES} messages`,
      `${baseline.toFixed(0)} msg/s`,
    );
    line('', rawCpuLine);
    line(
      'email-provider: HTTP → outbox (PostgreSQL) → SMTP',
      `${ours.toFixed(0)} msg/s (${(ours / baseline).toFixed(2)} of raw)`,
    );
    line('', oursCpuLine);
    line(
      `enqueue latency, POST /messages, ${SENDERS} concurrent callers`,
      `p50 ${percentile(latencies, 50).toFixed(1)} ms, p99 ${percentile(
        latencies,
        99,
      ).toFixed(1)} ms`,
    );

    // The two halves apart: storing with delivery paused, then delivering the stored queue.
    smtp.reset();
    await portal.db('email_provider_delivery_pacing').update({
      paused_until: new Date(Date.now() + 3600_000),
    });
    const enqueueStarted = performance.now();
    await inParallel(MESSAGES, SENDERS, i => post(message(i)));
    const enqueueRate =
      MESSAGES / ((performance.now() - enqueueStarted) / 1000);
    const drainStarted = performance.now();
    await portal
      .db('email_provider_delivery_pacing')
      .update({ paused_until: null });
    await smtp.until(MESSAGES);
    const drainRate = MESSAGES / ((performance.now() - drainStarted) / 1000);
    line(
      '  of which storing alone (POST /messages, delivery paused)',
      `${enqueueRate.toFixed(0)} msg/s`,
    );
    line(
      '  of which delivering a stored queue alone',
      `${drainRate.toFixed(0)} msg/s`,
    );

    // Memory: a queue of messages with 1 MB attachments waits, then goes out; the portal should
    // hold what is in flight, not the queue. Delivery is held back with the pacing pause (as a
    // Retry-After would) while the queue fills.
    smtp.reset();
    const megabyte = Buffer.alloc(1024 * 1024, 7).toString('base64');
    await portal.db('email_provider_delivery_pacing').update({
      paused_until: new Date(Date.now() + 3600_000),
    });
    await inParallel(LARGE_MESSAGES, 4, i => post(message(i, megabyte)));
    const rssBefore = await portal.rss();
    let peak = rssBefore;
    const sampler = setInterval(() => {
      portal.rss().then(rss => {
        peak = Math.max(peak, rss);
      });
    }, 50);
    const largeStarted = performance.now();
    await portal
      .db('email_provider_delivery_pacing')
      .update({ paused_until: null });
    await smtp.until(LARGE_MESSAGES);
    clearInterval(sampler);
    line(
      `${LARGE_MESSAGES} queued messages with 1 MB attachments go out`,
      `portal peak RSS ${(peak / 1024 / 1024).toFixed(0)} MB (${(
        (peak - rssBefore) /
        1024 /
        1024
      ).toFixed(0)} MB above idle with the queue full), ${(
        LARGE_MESSAGES /
        ((performance.now() - largeStarted) / 1000)
      ).toFixed(0)} msg/s`,
    );
    await portal.stop();

    // Microsoft 365 through the fake: tokens and concurrency per GRAPH_MESSAGES messages.
    const fake = await startMicrosoftFake(pki, {
      mailboxes: [FROM],
      sendMailDelayMs: 20,
    });
    const m365 = await startPortal({
      microsoft365: {
        authorityHost: fake.authorityHost,
        graphBaseUrl: fake.graphBaseUrl,
      },
      // The default is Exchange Online's 30 a minute; lifted here to measure concurrency.
      delivery: {
        microsoft365: {
          maxConcurrentRequests: 4,
          messagesPerMinute: 1_000_000,
        },
      },
    });
    await m365.configure({
      provider: 'microsoft365',
      microsoft365: {
        from: FROM,
        tenantId: fake.settings.tenantId,
        clientId: fake.settings.clientId,
        clientSecret: fake.settings.clientSecret,
      },
    });
    const graphStarted = performance.now();
    await inParallel(GRAPH_MESSAGES, SENDERS, i =>
      m365.postMessage(message(i)),
    );
    while (fake.received.length < GRAPH_MESSAGES) {
      await new Promise(resolve => setTimeout(resolve, 50));
    }
    line(
      `Microsoft 365 fake, ${GRAPH_MESSAGES} messages (20 ms per sendMail)`,
      `${fake.counters.tokenRequests} token request(s), at most ${
        fake.counters.maxSendMailInFlight
      } Graph requests in flight, ${(
        GRAPH_MESSAGES /
        ((performance.now() - graphStarted) / 1000)
      ).toFixed(0)} msg/s`,
    );
    await m365.stop();
    await fake.close();
  } finally {
    await smtp.close();
  }
  console.log(`\n${results.join('\n')}`);
}

main().then(
  () => process.exit(0),
  error => {
    console.error(error);
    process.exit(1);
  },
);
