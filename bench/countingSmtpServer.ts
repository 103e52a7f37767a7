import { fork } from 'node:child_process';
import path from 'node:path';
import type { TestPki } from '@internal/mail-test-servers';

/**
 * The SMTP server the benchmarks deliver to, in a process of its own (smtp-server.ts): with it in
 * the benchmark's process, raw nodemailer would be measured talking to itself without ever
 * waking another process, which no deployment does. StartTLS with the test PKI's localhost
 * certificate, AUTH with `password`.
 */
export async function startCountingServer(pki: TestPki, password: string) {
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
      BENCH_SMTP_PASSWORD: password,
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
    /**
     * Calls `onArrival` with each message's Subject as the server receives it, timed on this
     * process's clock (`performance.now()`) when the news arrives, until the returned function
     * is called.
     */
    reportArrivals: async (
      onArrival: (subject: string | undefined, at: number) => void,
    ) => {
      const listener = (message: { type: string; subject?: string }) => {
        if (message.type === 'arrival') {
          onArrival(message.subject, performance.now());
        }
      };
      const reporting = (on: boolean) =>
        new Promise<void>(resolve => {
          const acknowledged = (message: { type: string; on?: boolean }) => {
            if (message.type === 'reporting-arrivals' && message.on === on) {
              child.off('message', acknowledged);
              resolve();
            }
          };
          child.on('message', acknowledged);
          child.send({ type: 'report-arrivals', on });
        });
      child.on('message', listener);
      await reporting(true);
      return async () => {
        await reporting(false);
        child.off('message', listener);
      };
    },
    close: async () => {
      child.disconnect();
      await new Promise(resolve => child.once('exit', resolve));
    },
  };
}

export type CountingSmtpServer = Awaited<
  ReturnType<typeof startCountingServer>
>;
