import { ParsedMail, simpleParser } from 'mailparser';
import net, { AddressInfo } from 'node:net';
import { SMTPServer, SMTPServerOptions } from 'smtp-server';
import type { TestCertificate } from './certificates';

export type ReceivedMail = {
  envelope: { from: string; to: string[] };
  /** The user the client signed in as, if it did. */
  user?: string;
  /** Whether the connection was encrypted when the message arrived. */
  secure: boolean;
  parsed: ParsedMail;
  raw: Buffer;
};

export type SmtpSinkOptions = {
  /** TLS from the first byte (SMTPS, port 465 style). */
  implicitTls?: boolean;
  /** The certificate for implicit TLS and STARTTLS. */
  certificate: TestCertificate;
  /** Refuse STARTTLS (the server does not offer it). */
  withoutStartTls?: boolean;
  /** Required credentials; without them no AUTH is asked. */
  credentials?: { username: string; password: string };
  /** Announced SIZE limit in bytes. */
  maxSize?: number;
  /** Recipients the server answers 550 for. */
  rejectRecipients?: string[];
  /** Senders the server answers 553 for. */
  rejectSenders?: string[];
  /** The port to listen on; a free one unless set. */
  port?: number;
  /** Called for every message the server accepts. */
  onMessage?: (mail: ReceivedMail) => void;
  /** How long the server takes to accept each message, as a busy server would. */
  acceptDelayMs?: number;
};

/**
 * A real SMTP server (the smtp-server package) on a loopback port that keeps what it receives,
 * parsed with mailparser, for tests to inspect.
 */
export class SmtpSink {
  readonly received: ReceivedMail[] = [];
  /** Passwords the server saw in AUTH, to prove what went over the wire. */
  readonly authAttempts: Array<{ username: string; secure: boolean }> = [];
  private server!: SMTPServer;
  port = 0;

  static async start(options: SmtpSinkOptions): Promise<SmtpSink> {
    const sink = new SmtpSink();
    await sink.listen(options);
    return sink;
  }

  private async listen(options: SmtpSinkOptions) {
    const serverOptions: SMTPServerOptions = {
      secure: options.implicitTls ?? false,
      key: options.certificate.key,
      cert: options.certificate.cert,
      authOptional: !options.credentials,
      allowInsecureAuth: true,
      disabledCommands: options.withoutStartTls ? ['STARTTLS'] : [],
      size: options.maxSize,
      logger: false,
      onAuth: (auth, session, callback) => {
        this.authAttempts.push({
          username: auth.username ?? '',
          secure: Boolean(session.secure),
        });
        const ok =
          options.credentials &&
          auth.username === options.credentials.username &&
          auth.password === options.credentials.password;
        if (!ok) {
          const error = Object.assign(
            new Error('5.7.8 Authentication credentials invalid'),
            { responseCode: 535 },
          );
          callback(error);
          return;
        }
        callback(null, { user: auth.username });
      },
      onMailFrom: (address, _session, callback) => {
        if (options.rejectSenders?.includes(address.address)) {
          callback(
            Object.assign(
              new Error('5.7.1 Sender address rejected: not owned by user'),
              {
                responseCode: 553,
              },
            ),
          );
          return;
        }
        callback();
      },
      onRcptTo: (address, _session, callback) => {
        if (options.rejectRecipients?.includes(address.address)) {
          callback(
            Object.assign(
              new Error('5.1.1 Recipient address rejected: User unknown'),
              {
                responseCode: 550,
              },
            ),
          );
          return;
        }
        callback();
      },
      onData: (stream, session, callback) => {
        const chunks: Buffer[] = [];
        stream.on('data', chunk => chunks.push(chunk));
        stream.on('end', async () => {
          if ((stream as unknown as { sizeExceeded?: boolean }).sizeExceeded) {
            callback(
              Object.assign(
                new Error('5.3.4 Message exceeds fixed maximum message size'),
                {
                  responseCode: 552,
                },
              ),
            );
            return;
          }
          const raw = Buffer.concat(chunks);
          const mail: ReceivedMail = {
            envelope: {
              from: session.envelope.mailFrom
                ? session.envelope.mailFrom.address
                : '',
              to: session.envelope.rcptTo.map(r => r.address),
            },
            user: session.user as string | undefined,
            secure: Boolean(session.secure),
            parsed: await simpleParser(raw),
            raw,
          };
          setTimeout(() => {
            this.received.push(mail);
            options.onMessage?.(mail);
            callback();
          }, options.acceptDelayMs ?? 0);
        });
      },
    };
    this.server = new SMTPServer(serverOptions);
    // Without a listener a failed TLS handshake would crash the test process.
    this.server.on('error', () => undefined);
    await new Promise<void>(resolve =>
      this.server.listen(options.port ?? 0, '127.0.0.1', () => resolve()),
    );
    this.port = (this.server.server.address() as AddressInfo).port;
  }

  async close(): Promise<void> {
    await new Promise<void>(resolve => this.server.close(() => resolve()));
  }
}

/**
 * A TCP server that accepts connections and then misbehaves: says nothing at all, or drips a
 * greeting that never ends, one byte at a time, so a socket timeout never fires.
 */
export async function startMisbehavingServer(
  behaviour: 'silent' | 'drip',
): Promise<{ port: number; close(): Promise<void> }> {
  const sockets = new Set<net.Socket>();
  const timers = new Set<NodeJS.Timeout>();
  const server = net.createServer(socket => {
    sockets.add(socket);
    socket.on('error', () => undefined);
    socket.on('close', () => sockets.delete(socket));
    if (behaviour === 'drip') {
      // A greeting line that never ends: data keeps coming, so no idle timeout fires.
      socket.write('220 slow.example ');
      const timer = setInterval(() => {
        if (!socket.destroyed) socket.write('x');
      }, 100);
      timers.add(timer);
      socket.on('close', () => clearInterval(timer));
    }
  });
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    close: async () => {
      timers.forEach(clearInterval);
      sockets.forEach(s => s.destroy());
      await new Promise(resolve => server.close(resolve));
    },
  };
}

/** A loopback port with nothing listening on it. */
export async function unusedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise(resolve => server.close(resolve));
  return port;
}
