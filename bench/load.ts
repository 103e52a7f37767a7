/*
 * The load the benchmarks put on the portal and on raw nodemailer: the same messages, as many in
 * the air at once.
 */
import nodemailer from 'nodemailer';

/** The p-th percentile of `values`. */
export function percentile(values: number[], p: number) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[
    Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))
  ];
}

/** Runs `task` for 0..count-1, `concurrency` at a time. */
export async function inParallel<T>(
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

/** The i-th message the callers send, as a `SendEmailRequest`. */
export function message(i: number, attachment?: string) {
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

/**
 * The baseline: pooled nodemailer (5 connections) sending the same messages straight to the SMTP
 * server; messages a second.
 */
export async function rawNodemailer(
  port: number,
  count: number,
  options: {
    /** How many messages are in the air at once. */
    senders: number;
    from: string;
    password: string;
    /** Sent with each message, as the portal's callers send theirs. */
    attachment?: Buffer;
  },
) {
  const transport = nodemailer.createTransport({
    pool: true,
    maxConnections: 5,
    host: 'localhost',
    port,
    requireTLS: true,
    auth: { user: options.from, pass: options.password },
  });
  const started = performance.now();
  await inParallel(count, options.senders, async i => {
    const m = message(i);
    await transport.sendMail({
      from: options.from,
      to: m.to,
      subject: m.subject,
      text: m.text,
      ...(options.attachment
        ? {
            attachments: [
              {
                filename: `report-${i}.bin`,
                contentType: 'application/octet-stream',
                content: options.attachment,
              },
            ],
          }
        : {}),
    });
  });
  const seconds = (performance.now() - started) / 1000;
  transport.close();
  return count / seconds;
}
