/*
 * Delivery benchmark: the email-provider plugin against raw nodemailer, in one run, on this
 * machine, into the same local SMTP server (its own process, StartTLS and AUTH).
 *
 *   yarn bench            (BENCH_MESSAGES=5000, BENCH_LARGE_MESSAGES=1000 by default)
 *
 * Prints:
 *   1. end-to-end throughput: messages accepted over HTTP (POST /messages, service token) until
 *      received by the SMTP server, against raw pooled nodemailer sending the same messages with
 *      as many in the air (BENCH_SENDERS, 50); with the CPU each process spent per message;
 *   2. enqueue latency (POST /messages) p50 / p99;
 *   3. the two halves apart: storing with delivery paused, then delivering the stored queue;
 *   4. peak memory while messages with 1 MB attachments go out;
 *   5. end to end again with two portal replicas;
 *   6. for the Microsoft 365 fake: token requests and the most Graph requests in flight.
 * The portal runs with the product's delivery defaults; BENCH_DELIVERY (JSON for
 * emailProvider.delivery) overrides them, BENCH_PORTAL_NODE_ARGS adds node flags (--cpu-prof).
 * Runs on PostgreSQL (BACKSTAGE_TEST_DATABASE_POSTGRES15_CONNECTION_STRING or the local server).
 */
import { mockCredentials } from '@backstage/backend-test-utils';
import nodemailer from 'nodemailer';
import { fork } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import {
  startMailTestServers,
  startMicrosoftFake,
  TestPki,
} from '@internal/mail-test-servers';
import { BENCH_ADMIN, startPortalProcesses } from './portalProcesses';

const MESSAGES = Number(process.env.BENCH_MESSAGES ?? 5000);
const LARGE_MESSAGES = Number(process.env.BENCH_LARGE_MESSAGES ?? 1000);
const GRAPH_MESSAGES = Number(process.env.BENCH_GRAPH_MESSAGES ?? 1000);
const FROM = 'bench@example.com';
const PASSWORD = 'bench-password';
// As many messages in the air as raw nodemailer gets below.
const SENDERS = Number(process.env.BENCH_SENDERS ?? 50);
let caFile = '';

/**
 * The SMTP server both senders deliver to, in a process of its own (smtp-server.ts): with it in
 * the benchmark's process, raw nodemailer would be measured talking to itself without ever
 * waking another process, which no deployment does.
 */
async function startCountingServer(pki: TestPki) {
  const child = fork(path.resolve(__dirname, 'smtp-server.ts'), {
    execArgv: [
      '--require',
      require.resolve('@backstage/cli/config/nodeTransform.cjs'),
    ],
    env: {
      ...process.env,
      BENCH_SMTP_TLS: JSON.stringify({
        key: pki.localhost.key,
        cert: pki.localhost.cert,
      }),
      BENCH_SMTP_PASSWORD: PASSWORD,
    },
  });
  process.once('exit', () => child.kill('SIGKILL'));
  const next = (type: string, n?: number) =>
    new Promise<void>(resolve => {
      const listener = (message: { type: string; n?: number }) => {
        if (message.type === type && message.n === n) {
          child.off('message', listener);
          resolve();
        }
      };
      child.on('message', listener);
    });
  const port = await new Promise<number>(resolve => {
    const listener = (message: { type: string; port: number }) => {
      if (message.type === 'listening') {
        child.off('message', listener);
        resolve(message.port);
      }
    };
    child.on('message', listener);
  });
  return {
    port,
    pid: child.pid!,
    reset: async () => {
      const done = next('reset');
      child.send({ type: 'reset' });
      await done;
    },
    until: async (n: number) => {
      const done = next('reached', n);
      child.send({ type: 'until', n });
      await done;
    },
    /** How many messages arrived since the last reset. */
    count: () =>
      new Promise<number>(resolve => {
        const listener = (message: { type: string; received?: number }) => {
          if (message.type === 'count') {
            child.off('message', listener);
            resolve(message.received!);
          }
        };
        child.on('message', listener);
        child.send({ type: 'count' });
      }),
    close: async () => {
      child.disconnect();
      await new Promise(resolve => child.once('exit', resolve));
    },
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
        return fs
          .readFileSync(`/proc/${pid}/comm`, 'utf8')
          .startsWith('postgres');
      } catch {
        return false;
      }
    })
    .reduce((sum, pid) => sum + processCpuSeconds(Number(pid)), 0);
}

/** CPU used by each part of a run, per message, in milliseconds. */
function cpuMeter(
  smtpServerPid: number,
  portalCpuSeconds: () => number = () => 0,
) {
  const read = () => ({
    bench: process.cpuUsage(),
    portal: portalCpuSeconds(),
    postgres: postgresCpuSeconds(),
    smtp: processCpuSeconds(smtpServerPid),
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
    const seconds =
      end.portal -
      start.portal +
      end.postgres -
      start.postgres +
      end.smtp -
      start.smtp +
      benchSeconds;
    return {
      line: `CPU per message: portal ${ms(
        end.portal - start.portal,
      )} ms, PostgreSQL ${ms(
        end.postgres - start.postgres,
      )} ms, SMTP server ${ms(end.smtp - start.smtp)} ms, sender/callers ${ms(
        benchSeconds,
      )} ms; ${ms(seconds)} ms in all`,
      /** The most messages a second this machine's cores could do at this CPU cost. */
      ceiling: (os.availableParallelism() * messages) / seconds,
    };
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
  await inParallel(count, SENDERS, async i => {
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

/**
 * Starts the portal backend in a process of its own, as it runs in production; with several
 * replicas, each in its own process on the same PostgreSQL database, as Node is deployed to use
 * more than one core.
 */
async function startPortal(emailProvider: object, replicas = 1) {
  const { db, ports, children, stop } = await startPortalProcesses({
    name: 'bench',
    emailProvider,
    replicas,
    caFile,
    nodeArgs: process.env.BENCH_PORTAL_NODE_ARGS?.split(' ').filter(Boolean),
  });
  const admin = mockCredentials.user.header(BENCH_ADMIN);
  const service = mockCredentials.service.header({
    onBehalfOf: mockCredentials.service('plugin:bench'),
    targetPluginId: 'email-provider',
  });
  let calls = 0;
  // The callers are a load generator: node:http with kept-alive connections costs them about a
  // quarter of the CPU of fetch, which on this machine would otherwise be taken from the portal.
  const agent = new http.Agent({ keepAlive: true, maxSockets: SENDERS });
  const call = async (
    method: string,
    route: string,
    authorization: string,
    body?: object,
  ) => {
    // Callers spread over the replicas, as a load balancer would.
    const port = ports[calls++ % ports.length];
    const data = body ? JSON.stringify(body) : undefined;
    return await new Promise<number>((resolve, reject) => {
      const request = http.request(
        {
          agent,
          host: '127.0.0.1',
          port,
          method,
          path: `/api/email-provider${route}`,
          headers: {
            authorization,
            'content-type': 'application/json',
            ...(data ? { 'content-length': Buffer.byteLength(data) } : {}),
          },
        },
        response => {
          response.resume();
          response.on('end', () => resolve(response.statusCode!));
        },
      );
      request.on('error', reject);
      request.end(data);
    });
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
    cpuSeconds: () =>
      children.reduce((sum, child) => sum + processCpuSeconds(child.pid!), 0),
    /** The portal processes' resident memory, from /proc. */
    rss: async () => {
      let total = 0;
      for (const child of children) {
        const status = await fs.promises.readFile(
          `/proc/${child.pid}/status`,
          'utf8',
        );
        total += Number(/VmRSS:\s+(\d+)/.exec(status)![1]) * 1024;
      }
      return total;
    },
    stop,
  };
}

type Portal = Awaited<ReturnType<typeof startPortal>>;

async function main() {
  // The counting SMTP server runs in a process of its own (startCountingServer); the raw
  // nodemailer sender in this one trusts the test CA.
  const { pki } = await startMailTestServers({ trustCa: true });
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
    await smtp.reset();
    const rawCpu = cpuMeter(smtp.pid);
    const baseline = await rawNodemailer(smtp.port, MESSAGES);
    const rawCpuUse = rawCpu(MESSAGES);
    await smtp.reset();

    const smtpDelivery = {
      delivery: {
        pollInterval: { milliseconds: 100 },
        // The product's defaults, unless BENCH_DELIVERY (JSON, emailProvider.delivery) says otherwise.
        ...JSON.parse(process.env.BENCH_DELIVERY ?? '{}'),
      },
    };
    /** Messages accepted over HTTP until the SMTP server has them all, after a warm-up. */
    const endToEnd = async (portal: Portal) => {
      await portal.configure(smtpSettings);
      await inParallel(100, SENDERS, i => portal.postMessage(message(i)));
      await smtp.until(100);
      await smtp.reset();
      const latencies: number[] = [];
      const cpu = cpuMeter(smtp.pid, portal.cpuSeconds);
      const started = performance.now();
      await inParallel(MESSAGES, SENDERS, async i => {
        const t = performance.now();
        await portal.postMessage(message(i));
        latencies.push(performance.now() - t);
      });
      await smtp.until(MESSAGES);
      const rate = MESSAGES / ((performance.now() - started) / 1000);
      return { rate, latencies, cpu: cpu(MESSAGES) };
    };

    const portal = await startPortal(smtpDelivery);
    const ours = await endToEnd(portal);
    line(
      `raw pooled nodemailer (5 connections), ${MESSAGES} messages`,
      `${baseline.toFixed(0)} msg/s`,
    );
    line('', rawCpuUse.line);
    line(
      'email-provider: HTTP → outbox (PostgreSQL) → SMTP',
      `${ours.rate.toFixed(0)} msg/s (${(ours.rate / baseline).toFixed(
        2,
      )} of raw)`,
    );
    line('', ours.cpu.line);
    line(
      '',
      `at that CPU cost, ${os.availableParallelism()} fully used cores would allow at most ${ours.cpu.ceiling.toFixed(
        0,
      )} msg/s (${(ours.cpu.ceiling / baseline).toFixed(2)} of raw)`,
    );
    line(
      `enqueue latency, POST /messages, ${SENDERS} concurrent callers`,
      `p50 ${percentile(ours.latencies, 50).toFixed(1)} ms, p99 ${percentile(
        ours.latencies,
        99,
      ).toFixed(1)} ms`,
    );
    const post = portal.postMessage;

    // Delivery held back as a Retry-After holds it: the pause counts only for the destination it
    // names (OutboxWorker's destinationOf), and a run where mail went out while the queue filled
    // measures nothing of what it says.
    const pacing = () =>
      portal.db('email_provider_delivery_pacing').where('id', 1);
    const pauseDelivery = async () => {
      const updated = await pacing().update({
        paused_for: `smtp localhost:${smtp.port} ${FROM}`.toLowerCase(),
        paused_until: new Date(Date.now() + 3600_000),
      });
      if (updated !== 1) {
        throw new Error(
          `Pausing delivery updated ${updated} pacing rows, not 1`,
        );
      }
    };
    const resumeDelivery = async () => {
      const arrived = await smtp.count();
      if (arrived > 0) {
        throw new Error(
          `${arrived} messages arrived while delivery was paused: the pause did not hold`,
        );
      }
      await pacing().update({ paused_until: null });
    };

    // The two halves apart: storing with delivery paused, then delivering the stored queue.
    await smtp.reset();
    await pauseDelivery();
    const enqueueStarted = performance.now();
    await inParallel(MESSAGES, SENDERS, i => post(message(i)));
    const enqueueRate =
      MESSAGES / ((performance.now() - enqueueStarted) / 1000);
    await resumeDelivery();
    const drainStarted = performance.now();
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
    await smtp.reset();
    const megabyte = Buffer.alloc(1024 * 1024, 7).toString('base64');
    await pauseDelivery();
    await inParallel(LARGE_MESSAGES, 4, i => post(message(i, megabyte)));
    const rssBefore = await portal.rss();
    let peak = rssBefore;
    const sampler = setInterval(() => {
      portal.rss().then(rss => {
        peak = Math.max(peak, rss);
      });
    }, 50);
    await resumeDelivery();
    const largeStarted = performance.now();
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

    // Node runs JavaScript on one thread per process; on two cores the portal runs as two
    // replicas sharing the database, as it would behind a load balancer.
    await smtp.reset();
    const replicas = await startPortal(smtpDelivery, 2);
    const pair = await endToEnd(replicas);
    line(
      '  the same, two portal replicas (one per core)',
      `${pair.rate.toFixed(0)} msg/s (${(pair.rate / baseline).toFixed(
        2,
      )} of raw)`,
    );
    line('', pair.cpu.line);
    await replicas.stop();

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
        fake.counters.maxGraphRequestsInFlight
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
