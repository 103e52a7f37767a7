/*
 * The benchmark's SMTP server, in a process of its own as a real mail server would be: it
 * counts what it receives and keeps nothing, so it measures the sender. Started by delivery.ts
 * with the certificate in BENCH_SMTP_TLS (JSON { key, cert }) and the password in
 * BENCH_SMTP_PASSWORD; answers over the IPC channel:
 *   { type: 'until', n }  -> { type: 'reached', n } once n messages arrived since the last reset
 *   { type: 'reset' }     -> { type: 'reset' }
 *   { type: 'count' }     -> { type: 'count', received } since the last reset
 */
import { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';

const { key, cert } = JSON.parse(process.env.BENCH_SMTP_TLS ?? '{}');
let received = 0;
let waiters: number[] = [];

const send = (message: object) => process.send!(message);

const server = new SMTPServer({
  key,
  cert,
  logger: false,
  onAuth: (auth, _session, callback) =>
    auth.password === process.env.BENCH_SMTP_PASSWORD
      ? callback(null, { user: auth.username })
      : callback(new Error('535 Authentication failed')),
  onData: (stream, _session, callback) => {
    stream.on('data', () => undefined);
    stream.on('end', () => {
      received += 1;
      waiters = waiters.filter(n => {
        if (received < n) return true;
        send({ type: 'reached', n });
        return false;
      });
      callback();
    });
  },
});
server.on('error', () => undefined);

process.on('message', (message: { type: string; n?: number }) => {
  if (message.type === 'reset') {
    received = 0;
    send({ type: 'reset' });
  } else if (message.type === 'count') {
    send({ type: 'count', received });
  } else if (message.type === 'until') {
    if (received >= message.n!) send({ type: 'reached', n: message.n });
    else waiters.push(message.n!);
  }
});
process.on('disconnect', () => process.exit(0));

server.listen(0, '127.0.0.1', () =>
  send({
    type: 'listening',
    port: (server.server.address() as AddressInfo).port,
  }),
);
