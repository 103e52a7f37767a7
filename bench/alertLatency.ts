/*
 * Alert latency: a message at a steady, moderate rate (10 a second, as alerts come), each timed
 * from just before its POST /messages until the SMTP server has received it. At this rate every
 * message pays the outbox's costs alone (a store, a wake-up, a claim, a send, a sent record),
 * where under load they are shared by a batch.
 *
 * measureAlertLatency is called by delivery.ts; alone, this file starts its own counting SMTP
 * server and portal, as delivery.ts does, and also prints the CPU each message cost:
 *
 *   node --require @backstage/cli/config/nodeTransform.cjs bench/alertLatency.ts
 *
 * (BENCH_ALERT_MESSAGES, 600 by default: a minute at 10 a second; BENCH_ALERT_RATE, messages a
 * second, 10 by default; BENCH_DELIVERY and BENCH_PORTAL_NODE_ARGS as for delivery.ts.)
 */
import { randomUUID } from 'node:crypto';
import { BenchPortal, startBenchPortal } from './benchPortal';
import { startBenchSmtp } from './benchSmtp';
import { CountingSmtpServer } from './countingSmtpServer';
import { cpuMeter } from './cpuUse';
import { message, percentile } from './load';

/** How many messages a run times by default: a minute of alerts at 10 a second. */
export const ALERT_MESSAGES = Number(process.env.BENCH_ALERT_MESSAGES ?? 600);
/** Sent first at the same pace and not timed: the first message opens the SMTP connection. */
const WARM_UP_MESSAGES = 10;
/** How long to wait, after the last POST, for messages the SMTP server has not received yet. */
const ARRIVAL_TIMEOUT_MS = 30_000;

/**
 * Posts `messages` messages, one every 1/`ratePerSecond` seconds on a fixed schedule (a slow
 * POST does not delay the next), and times each from just before its POST until the SMTP server
 * has received it; milliseconds. Both ends are read on this process's clock: the server reports
 * each arrival over IPC and it is timed when the report comes in. Fails if a message does not
 * arrive within 30 s of the last POST.
 */
export async function measureAlertLatency(options: {
  portal: BenchPortal;
  smtp: CountingSmtpServer;
  messages: number;
  ratePerSecond: number;
}): Promise<{ p50: number; p99: number; max: number }> {
  const { portal, smtp, messages, ratePerSecond } = options;
  const run = randomUUID().slice(0, 8);
  const subjectOf = (i: number) => `Alert ${run} ${i}`;
  const total = WARM_UP_MESSAGES + messages;
  const postedAt = new Map<string, number>();
  const latencies: number[] = [];
  let allArrived!: () => void;
  const arrived = new Promise<void>(resolve => {
    allArrived = resolve;
  });
  let arrivals = 0;
  const stopReporting = await smtp.reportArrivals((subject, at) => {
    const posted = subject === undefined ? undefined : postedAt.get(subject);
    if (posted === undefined) {
      return; // Not one of this run's, or a duplicate.
    }
    postedAt.delete(subject!);
    const i = Number(subject!.split(' ')[2]);
    if (i >= WARM_UP_MESSAGES) {
      latencies.push(at - posted);
    }
    arrivals += 1;
    if (arrivals === total) {
      allArrived();
    }
  });
  try {
    const intervalMs = 1000 / ratePerSecond;
    const started = performance.now();
    const posts: Array<Promise<void>> = [];
    for (let i = 0; i < total; i++) {
      const due = started + i * intervalMs;
      const wait = due - performance.now();
      if (wait > 0) {
        await new Promise(resolve => setTimeout(resolve, wait));
      }
      const subject = subjectOf(i);
      postedAt.set(subject, performance.now());
      posts.push(portal.postMessage({ ...message(i), subject }));
    }
    await Promise.all(posts);
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () =>
          reject(
            new Error(
              `${
                total - arrivals
              } of ${total} alert messages did not reach the SMTP server within ${
                ARRIVAL_TIMEOUT_MS / 1000
              } s of the last POST`,
            ),
          ),
        ARRIVAL_TIMEOUT_MS,
      );
    });
    try {
      await Promise.race([arrived, timedOut]);
    } finally {
      clearTimeout(timer);
    }
  } finally {
    await stopReporting();
  }
  return {
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    max: Math.max(...latencies),
  };
}

/** Alone: a counting SMTP server and a portal of its own, as delivery.ts starts them. */
async function main() {
  const from = 'bench@example.com';
  const password = 'bench-password';
  const { caFile, smtp, emailProvider } = await startBenchSmtp({
    from,
    password,
  });
  const rate = Number(process.env.BENCH_ALERT_RATE ?? 10);
  try {
    const portal = await startBenchPortal({
      emailProvider,
      caFile,
      senders: 1,
    });
    try {
      const cpu = cpuMeter(smtp.pid, portal);
      const latency = await measureAlertLatency({
        portal,
        smtp,
        messages: ALERT_MESSAGES,
        ratePerSecond: rate,
      });
      const use = cpu(ALERT_MESSAGES + WARM_UP_MESSAGES);
      console.log(
        `alert latency, ${ALERT_MESSAGES} messages at ${rate}/s, POST until the SMTP server has it: p50 ${latency.p50.toFixed(
          1,
        )} ms, p99 ${latency.p99.toFixed(1)} ms, max ${latency.max.toFixed(
          1,
        )} ms`,
      );
      console.log(use.line);
    } finally {
      await portal.stop();
    }
  } finally {
    await smtp.close();
  }
}

if (require.main === module) {
  main().then(
    () => process.exit(0),
    error => {
      console.error(error);
      process.exit(1);
    },
  );
}
