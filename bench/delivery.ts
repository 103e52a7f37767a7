/*
 * Delivery benchmark: the email-provider plugin against raw nodemailer, in one run, on this
 * machine, into the same local SMTP server (its own process, StartTLS and AUTH).
 *
 *   yarn bench            (BENCH_MESSAGES=5000, BENCH_LARGE_MESSAGES=1000 by default)
 *
 * Prints:
 *   1. end-to-end throughput: messages accepted over HTTP (POST /messages, an outside service's
 *      token checked by Backstage's auth) until received by the SMTP server, against raw pooled
 *      nodemailer sending the same messages with as many in the air (BENCH_SENDERS, 50); with
 *      the CPU each process spent per message, the portal's by thread;
 *   2. the same through POST /messages/batch (BENCH_BATCH_SIZE messages a call, as sendMany
 *      sends a report to its subscribers);
 *   3. enqueue latency (POST /messages) p50 / p99 under that load;
 *   4. the two halves apart: storing with delivery paused, then delivering the stored queue;
 *   5. messages with 1 MB attachments: MB/s against raw nodemailer, and the portal's memory;
 *   6. alert latency: a message a tenth of a second (BENCH_ALERT_MESSAGES, 600), enqueue until
 *      the SMTP server has it;
 *   7. end to end again with two portal replicas;
 *   8. for the Microsoft 365 fake: token requests and the most Graph requests in flight.
 * The portal runs with the product's delivery defaults; BENCH_DELIVERY (JSON for
 * emailProvider.delivery) overrides them, BENCH_PORTAL_NODE_ARGS adds node flags (--cpu-prof).
 * Runs on PostgreSQL (BACKSTAGE_TEST_DATABASE_POSTGRES15_CONNECTION_STRING or the local server).
 */
import os from 'node:os';
import { startMicrosoftFake } from '@internal/mail-test-servers';
import { ALERT_MESSAGES, measureAlertLatency } from './alertLatency';
import { BenchPortal, startBenchPortal } from './benchPortal';
import { startBenchSmtp } from './benchSmtp';
import { CountingSmtpServer } from './countingSmtpServer';
import { cpuMeter } from './cpuUse';
import { deliveryPause } from './deliveryPause';
import { measureLargeAttachments } from './largeAttachments';
import { inParallel, message, percentile, rawNodemailer } from './load';

const MESSAGES = Number(process.env.BENCH_MESSAGES ?? 5000);
const LARGE_MESSAGES = Number(process.env.BENCH_LARGE_MESSAGES ?? 1000);
const GRAPH_MESSAGES = Number(process.env.BENCH_GRAPH_MESSAGES ?? 1000);
const BATCH_SIZE = Number(process.env.BENCH_BATCH_SIZE ?? 500);
const FROM = 'bench@example.com';
const PASSWORD = 'bench-password';
// As many messages in the air as raw nodemailer gets below.
const SENDERS = Number(process.env.BENCH_SENDERS ?? 50);

async function main() {
  // The counting SMTP server runs in a process of its own; the raw nodemailer sender in this one
  // trusts the test CA.
  const {
    pki,
    caFile,
    smtp,
    emailProvider: smtpEmailProvider,
  } = await startBenchSmtp({ from: FROM, password: PASSWORD });
  const results: string[] = [];
  const line = (label: string, value: string) => {
    results.push(`${label.padEnd(62)} ${value}`);
    console.log(`${label.padEnd(62)} ${value}`);
  };
  const startPortal = (emailProvider: object, replicas = 1) =>
    startBenchPortal({ emailProvider, replicas, caFile, senders: SENDERS });

  try {
    // Warm both paths (TLS, pools, JIT) before measuring.
    const raw = { senders: SENDERS, from: FROM, password: PASSWORD };
    await rawNodemailer(smtp.port, 100, raw);
    await smtp.reset();
    const rawCpu = cpuMeter(smtp.pid);
    const baseline = await rawNodemailer(smtp.port, MESSAGES, raw);
    const rawCpuUse = rawCpu(MESSAGES);
    await smtp.reset();
    line(
      `raw pooled nodemailer (5 connections), ${MESSAGES} messages`,
      `${baseline.toFixed(0)} msg/s`,
    );
    line('', rawCpuUse.line);

    /** Messages accepted over HTTP until the SMTP server has them all, after a warm-up. */
    const endToEnd = async (
      portal: BenchPortal,
      send: (first: number, count: number) => Promise<void>,
      perCall: number,
    ) => {
      await inParallel(100 / perCall, SENDERS / perCall, i =>
        send(i * perCall, perCall),
      );
      await smtp.until(100);
      await smtp.reset();
      const latencies: number[] = [];
      const cpu = cpuMeter(smtp.pid, portal);
      const started = performance.now();
      await inParallel(
        Math.ceil(MESSAGES / perCall),
        Math.max(1, SENDERS / perCall),
        async i => {
          const t = performance.now();
          await send(i * perCall, Math.min(perCall, MESSAGES - i * perCall));
          latencies.push(performance.now() - t);
        },
      );
      await smtp.until(MESSAGES);
      const rate = MESSAGES / ((performance.now() - started) / 1000);
      const use = cpu(MESSAGES);
      line(
        '',
        `${rate.toFixed(0)} msg/s (${(rate / baseline).toFixed(
          2,
        )} of raw); portal CPU ${(use.portalMs / rawCpuUse.benchMs).toFixed(
          2,
        )}× raw sender's`,
      );
      line('', use.line);
      return { rate, latencies, cpu: use };
    };
    const single = (portal: BenchPortal) => (first: number) =>
      portal.postMessage(message(first));
    const batches = (portal: BenchPortal) => (first: number, count: number) =>
      portal.postBatch(
        Array.from({ length: count }, (_, i) => message(first + i)),
      );

    const portal = await startPortal(smtpEmailProvider);
    line('email-provider: HTTP → outbox (PostgreSQL) → SMTP', '');
    line('  one message a call (POST /messages)', '');
    const ours = await endToEnd(portal, single(portal), 1);
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
    line(`  ${BATCH_SIZE} messages a call (POST /messages/batch)`, '');
    const batched = await endToEnd(portal, batches(portal), BATCH_SIZE);
    line(
      `  call latency, POST /messages/batch of ${BATCH_SIZE}`,
      `p50 ${percentile(batched.latencies, 50).toFixed(1)} ms, p99 ${percentile(
        batched.latencies,
        99,
      ).toFixed(1)} ms`,
    );

    await storedQueue(portal, smtp, line);

    const alerts = await measureAlertLatency({
      portal,
      smtp,
      messages: ALERT_MESSAGES,
      ratePerSecond: 10,
    });
    line(
      `alert latency, enqueue → SMTP server, ${ALERT_MESSAGES} at 10 a second`,
      `p50 ${alerts.p50.toFixed(1)} ms, p99 ${alerts.p99.toFixed(
        1,
      )} ms, max ${alerts.max.toFixed(1)} ms`,
    );
    await portal.stop();

    // Node runs JavaScript on one thread per process; on two cores the portal runs as two
    // replicas sharing the database, as it would behind a load balancer.
    await smtp.reset();
    const replicas = await startPortal(smtpEmailProvider, 2);
    line('  the same, two portal replicas (one per core), one a call', '');
    await endToEnd(replicas, single(replicas), 1);
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
      managedSettings: {
        provider: 'microsoft365',
        microsoft365: {
          from: FROM,
          tenantId: fake.settings.tenantId,
          clientId: fake.settings.clientId,
          clientSecret: fake.settings.clientSecret,
        },
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

/**
 * The two halves apart: storing with delivery paused, then delivering the stored queue; then
 * messages with 1 MB attachments, against raw nodemailer sending the same.
 */
async function storedQueue(
  portal: BenchPortal,
  smtp: CountingSmtpServer,
  line: (label: string, value: string) => void,
) {
  const { pauseDelivery, resumeDelivery } = deliveryPause(portal, smtp, FROM);

  await smtp.reset();
  await pauseDelivery();
  const storing = cpuMeter(smtp.pid, portal);
  const enqueueStarted = performance.now();
  await inParallel(MESSAGES, SENDERS, i => portal.postMessage(message(i)));
  const enqueueRate = MESSAGES / ((performance.now() - enqueueStarted) / 1000);
  const storingUse = storing(MESSAGES);
  await resumeDelivery();
  const delivering = cpuMeter(smtp.pid, portal);
  const drainStarted = performance.now();
  await smtp.until(MESSAGES);
  const drainRate = MESSAGES / ((performance.now() - drainStarted) / 1000);
  line(
    '  of which storing alone (POST /messages, delivery paused)',
    `${enqueueRate.toFixed(0)} msg/s`,
  );
  line('', storingUse.line);
  line(
    '  of which delivering a stored queue alone',
    `${drainRate.toFixed(0)} msg/s`,
  );
  line('', delivering(MESSAGES).line);

  // Memory and MB/s: a queue of messages with 1 MB attachments waits, then goes out; the
  // portal should hold what is in flight, not the queue.
  const large = await measureLargeAttachments({
    portal,
    smtp,
    pauseDelivery,
    resumeDelivery,
    messages: LARGE_MESSAGES,
    rawBaseline: (count, attachment) =>
      rawNodemailer(smtp.port, count, {
        senders: SENDERS,
        from: FROM,
        password: PASSWORD,
        attachment,
      }),
  });
  for (const [label, value] of large.lines) {
    line(label, value);
  }
}

main().then(
  () => process.exit(0),
  error => {
    console.error(error);
    process.exit(1);
  },
);
