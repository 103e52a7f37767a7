/*
 * An SmtpSink in a process of its own, for tests that measure how the backend answers while it
 * delivers: in the test's process, receiving and parsing thousands of messages would take the
 * backend's event loop, as no deployment's mail server does.
 */
import { fork } from 'node:child_process';
import { SmtpSink, SmtpSinkOptions } from './SmtpSink';

type SinkProcessOptions = Pick<SmtpSinkOptions, 'certificate' | 'credentials'>;

type FromSink =
  | { type: 'listening'; port: number }
  | { type: 'received'; messageIds: string[] };

export type SinkProcess = {
  port: number;
  /** The Message-ID of every message received so far, repeats included. */
  receivedMessageIds(): Promise<string[]>;
  close(): Promise<void>;
};

export async function startSinkProcess(
  options: SinkProcessOptions,
): Promise<SinkProcess> {
  const child = fork(__filename, [], {
    execArgv: [
      '--require',
      require.resolve('@backstage/cli/config/nodeTransform.cjs'),
    ],
    env: { ...process.env, SMTP_SINK_OPTIONS: JSON.stringify(options) },
  });
  const exited = new Promise(resolve => child.once('exit', resolve));
  const next = <T extends FromSink['type']>(type: T) =>
    new Promise<Extract<FromSink, { type: T }>>((resolve, reject) => {
      const listener = (message: FromSink) => {
        if (message.type === type) {
          child.off('message', listener);
          resolve(message as Extract<FromSink, { type: T }>);
        }
      };
      child.on('message', listener);
      exited.then(() => reject(new Error('The SMTP sink process ended')));
    });
  const { port } = await next('listening');
  return {
    port,
    async receivedMessageIds() {
      const answer = next('received');
      child.send({ type: 'received' });
      return (await answer).messageIds;
    },
    async close() {
      child.kill('SIGKILL');
      await exited;
    },
  };
}

async function runSink() {
  const sink = await SmtpSink.start(
    JSON.parse(process.env.SMTP_SINK_OPTIONS ?? '{}'),
  );
  process.on('message', () =>
    process.send!({
      type: 'received',
      messageIds: sink.received.map(mail => mail.parsed.messageId ?? ''),
    }),
  );
  process.on('disconnect', () => process.exit(0));
  process.send!({ type: 'listening', port: sink.port });
}

if (require.main === module) {
  runSink();
}
