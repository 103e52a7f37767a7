/*
 * The benchmark's SMTP server, in a process of its own as a real mail server would be: it
 * counts what it receives and keeps nothing, so it measures the sender. Started by delivery.ts
 * with the certificate in BENCH_SMTP_TLS (JSON { key, cert }) and the password in
 * BENCH_SMTP_PASSWORD; answers over the IPC channel:
 *   { type: 'until', n }  -> { type: 'reached', n } once n messages arrived since the last reset
 *   { type: 'reset' }     -> { type: 'reset' }
 *   { type: 'count' }     -> { type: 'count', received } since the last reset
 *   { type: 'report-arrivals', on } -> { type: 'reporting-arrivals', on }; while on, each
 *                            message is also announced as { type: 'arrival', subject } the
 *                            moment it has been received (alertLatency.ts times it on receipt)
 */
import { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';

const { key, cert } = JSON.parse(process.env.BENCH_SMTP_TLS ?? '{}');
let received = 0;
let waiters: number[] = [];
let reportArrivals = false;

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
    // Only the header is looked at, and only while arrivals are reported.
    let header = reportArrivals ? '' : undefined;
    stream.on('data', (chunk: Buffer) => {
      if (header !== undefined && !header.includes('\r\n\r\n')) {
        header += chunk.toString('latin1');
      }
    });
    stream.on('end', () => {
      received += 1;
      if (header !== undefined) {
        const subject = /^Subject: (.*)$/im
          .exec(header.split('\r\n\r\n')[0])?.[1]
          ?.trim();
        send({ type: 'arrival', subject });
      }
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

process.on('message', (message: { type: string; n?: number; on?: boolean }) => {
  if (message.type === 'reset') {
    received = 0;
    send({ type: 'reset' });
  } else if (message.type === 'count') {
    send({ type: 'count', received });
  } else if (message.type === 'report-arrivals') {
    reportArrivals = message.on === true;
    send({ type: 'reporting-arrivals', on: reportArrivals });
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
