/*
 * Messages with 1 MB attachments: how fast the portal delivers a stored queue of them against raw
 * pooled nodemailer sending the same attachments, in MB/s of attachment data, with the portal's
 * memory and CPU per message by thread. bench/delivery.ts runs it as part of `yarn bench`; alone:
 *
 *   node --require @backstage/cli/config/nodeTransform.cjs bench/largeAttachments.ts
 *
 * (BENCH_LARGE_MESSAGES, 1000 by default; BENCH_DELIVERY and BENCH_PORTAL_NODE_ARGS as for
 * delivery.ts.)
 */
import { randomBytes } from 'node:crypto';
import { BenchPortal, startBenchPortal } from './benchPortal';
import { startBenchSmtp } from './benchSmtp';
import { CountingSmtpServer } from './countingSmtpServer';
import { cpuMeter } from './cpuUse';
import { deliveryPause } from './deliveryPause';
import { inParallel, message, rawNodemailer } from './load';

const MEGABYTE = 1024 * 1024;
// Random, as the PDFs and archives people attach are: PostgreSQL compresses a repeated pattern
// to nothing, which real attachments never are.
const ATTACHMENT = randomBytes(MEGABYTE);
const WARM_UP_MESSAGES = 20;
// The portal's callers send large messages a few at a time, as a report generator would.
const STORING_CALLERS = 4;
const RSS_SAMPLE_MS = 50;

export type LargeAttachmentsResult = {
  messages: number;
  /** Raw pooled nodemailer sending the same attachments (a Buffer each) to the same server. */
  rawMbPerSecond: number;
  /** The portal taking the messages over HTTP with delivery paused. */
  storingMbPerSecond: number;
  /** The portal delivering the stored queue once delivery resumes. */
  portalMbPerSecond: number;
  /** The portal's RSS before the queue was stored. */
  idleRssMb: number;
  /** The portal's RSS with the queue stored, before delivery resumed. */
  queuedRssMb: number;
  /** The most RSS the portal had while storing. */
  storingPeakRssMb: number;
  /** The most RSS the portal had while delivering. */
  peakRssMb: number;
  rawCpu: ReturnType<ReturnType<typeof cpuMeter>>;
  storingCpu: ReturnType<ReturnType<typeof cpuMeter>>;
  deliveringCpu: ReturnType<ReturnType<typeof cpuMeter>>;
  /** The results as `[label, value]` lines, in the form of delivery.ts's `line`. */
  lines: Array<[string, string]>;
};

/** The most RSS the portal has until the returned function is called, in bytes. */
function rssPeak(portal: BenchPortal) {
  let peak = 0;
  const sample = () =>
    portal.rss().then(rss => {
      peak = Math.max(peak, rss);
    });
  const sampler = setInterval(sample, RSS_SAMPLE_MS);
  return async () => {
    clearInterval(sampler);
    await sample();
    return peak;
  };
}

/**
 * Raw nodemailer, then the portal, each with `messages` messages of a 1 MB attachment, into the
 * counting SMTP server. The portal's queue is stored while delivery is paused and measured as it
 * goes out: its memory should follow what is in flight, not the queue. Warms both paths first.
 */
export async function measureLargeAttachments(options: {
  portal: BenchPortal;
  smtp: CountingSmtpServer;
  pauseDelivery: () => Promise<void>;
  resumeDelivery: () => Promise<void>;
  messages: number;
  /** Raw nodemailer sending `count` messages with `attachment` each; messages a second. */
  rawBaseline: (count: number, attachment: Buffer) => Promise<number>;
}): Promise<LargeAttachmentsResult> {
  const { portal, smtp, messages } = options;
  const attachmentBase64 = ATTACHMENT.toString('base64');
  const mb = (bytes: number) => bytes / MEGABYTE;
  const perSecond = (count: number, started: number) =>
    mb(count * ATTACHMENT.length) / ((performance.now() - started) / 1000);

  await smtp.reset();
  await options.rawBaseline(WARM_UP_MESSAGES, ATTACHMENT);
  await smtp.reset();
  const rawMeter = cpuMeter(smtp.pid);
  const rawRate = await options.rawBaseline(messages, ATTACHMENT);
  const rawCpu = rawMeter(messages);
  const rawMbPerSecond = mb(rawRate * ATTACHMENT.length);
  await smtp.reset();

  await inParallel(WARM_UP_MESSAGES, STORING_CALLERS, i =>
    portal.postMessage(message(i, attachmentBase64)),
  );
  await smtp.until(WARM_UP_MESSAGES);
  await smtp.reset();

  const idleRss = await portal.rss();
  await options.pauseDelivery();
  const storingPeak = rssPeak(portal);
  const storingMeter = cpuMeter(smtp.pid, portal);
  const storingStarted = performance.now();
  await inParallel(messages, STORING_CALLERS, i =>
    portal.postMessage(message(i, attachmentBase64)),
  );
  const storingMbPerSecond = perSecond(messages, storingStarted);
  const storingCpu = storingMeter(messages);
  const storingPeakRss = await storingPeak();

  const queuedRss = await portal.rss();
  const deliveringPeak = rssPeak(portal);
  await options.resumeDelivery();
  const deliveringMeter = cpuMeter(smtp.pid, portal);
  const deliveringStarted = performance.now();
  await smtp.until(messages);
  const portalMbPerSecond = perSecond(messages, deliveringStarted);
  const deliveringCpu = deliveringMeter(messages);
  const peakRss = await deliveringPeak();
  await smtp.reset();

  const fixed = (value: number) => value.toFixed(0);
  const lines: Array<[string, string]> = [
    [
      `${messages} messages with a 1 MB attachment`,
      `raw nodemailer ${fixed(rawMbPerSecond)} MB/s, portal delivering ${fixed(
        portalMbPerSecond,
      )} MB/s (${(portalMbPerSecond / rawMbPerSecond).toFixed(2)} of raw)`,
    ],
    ['  raw nodemailer', rawCpu.line],
    [
      '  portal storing them (POST /messages, delivery paused)',
      `${fixed(storingMbPerSecond)} MB/s, peak RSS ${fixed(
        mb(storingPeakRss),
      )} MB (idle ${fixed(mb(idleRss))} MB)`,
    ],
    ['', storingCpu.line],
    [
      '  portal delivering the stored queue',
      `${fixed(portalMbPerSecond)} MB/s, peak RSS ${fixed(
        mb(peakRss),
      )} MB (${fixed(mb(peakRss - queuedRss))} MB above ${fixed(
        mb(queuedRss),
      )} MB with the queue stored)`,
    ],
    ['', deliveringCpu.line],
  ];
  return {
    messages,
    rawMbPerSecond,
    storingMbPerSecond,
    portalMbPerSecond,
    idleRssMb: mb(idleRss),
    queuedRssMb: mb(queuedRss),
    storingPeakRssMb: mb(storingPeakRss),
    peakRssMb: mb(peakRss),
    rawCpu,
    storingCpu,
    deliveringCpu,
    lines,
  };
}

/** The measurement alone, on a counting server and a portal of its own. */
async function main() {
  const messages = Number(process.env.BENCH_LARGE_MESSAGES ?? 1000);
  const senders = Number(process.env.BENCH_SENDERS ?? 50);
  const from = 'bench@example.com';
  const password = 'bench-password';
  const { caFile, smtp, emailProvider } = await startBenchSmtp({
    from,
    password,
  });
  try {
    const portal = await startBenchPortal({
      caFile,
      senders,
      emailProvider,
    });
    try {
      const result = await measureLargeAttachments({
        portal,
        smtp,
        ...deliveryPause(portal, smtp, from),
        messages,
        rawBaseline: (count, attachment) =>
          rawNodemailer(smtp.port, count, {
            senders,
            from,
            password,
            attachment,
          }),
      });
      for (const [label, value] of result.lines) {
        console.log(`${label.padEnd(62)} ${value}`);
      }
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
