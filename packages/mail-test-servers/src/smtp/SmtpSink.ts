import { ParsedMail, simpleParser } from 'mailparser';
import type { AddressInfo } from 'node:net';
import { SMTPServer, SMTPServerOptions } from 'smtp-server';
import type { TestCertificate } from '../pki/certificates';

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
  /** Offer AUTH only after STARTTLS, as Postfix does (`smtpd_tls_auth_only`). */
  authOnlyAfterTls?: boolean;
  /**
   * Take mail without sign-in but refuse its recipients (554 5.7.1 Relay access denied), as
   * Postfix does for a client that is neither signed in nor on a trusted network.
   */
  relayOnlyWhenSignedIn?: boolean;
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
  /** Every command the server received (its name: EHLO, AUTH, MAIL, DATA…), in order. */
  readonly commands: string[] = [];
  /** The name the client gave in each EHLO or HELO, in order. */
  readonly ehloNames: string[] = [];
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
      authOptional: !options.credentials || options.relayOnlyWhenSignedIn,
      allowInsecureAuth: !options.authOnlyAfterTls,
      disabledCommands: options.withoutStartTls ? ['STARTTLS'] : [],
      size: options.maxSize,
      // smtp-server logs each command it receives; that log is the record of what went over the wire.
      logger: commandRecorder(this.commands, this.ehloNames),
      // Postfix (smtpd_tls_auth_only) does not even announce AUTH before TLS; smtp-server
      // announces it and refuses it, unless the session disables it until TLS is up.
      onConnect: (session, callback) => {
        if (options.authOnlyAfterTls && !session.secure) {
          (session as { disabledCommands?: string[] }).disabledCommands = [
            ...(options.withoutStartTls ? ['STARTTLS'] : []),
            'AUTH',
          ];
        }
        callback();
      },
      onSecure: (_socket, session, callback) => {
        (session as { disabledCommands?: string[] }).disabledCommands =
          undefined;
        callback();
      },
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
      onRcptTo: (address, session, callback) => {
        if (options.relayOnlyWhenSignedIn && !session.user) {
          callback(
            Object.assign(
              new Error(`5.7.1 <${address.address}>: Relay access denied`),
              { responseCode: 554 },
            ),
          );
          return;
        }
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

function commandRecorder(
  commands: string[],
  ehloNames: string[],
): SMTPServerOptions['logger'] {
  const ignore = () => undefined;
  return {
    trace: ignore,
    info: ignore,
    warn: ignore,
    error: ignore,
    fatal: ignore,
    // smtp-server logs a command as (entry, 'C:', the line as received).
    debug: (entry: { tnx?: string; command?: string }, ...args: unknown[]) => {
      if (entry?.tnx === 'command' && entry.command) {
        commands.push(entry.command);
        if (['EHLO', 'HELO'].includes(entry.command)) {
          ehloNames.push(String(args[1]).slice(5));
        }
      }
    },
  } as unknown as SMTPServerOptions['logger'];
}
