import net, { AddressInfo } from 'node:net';
import tls from 'node:tls';
import type { TestCertificate } from '../pki/certificates';

/**
 * One client connection to a {@link HostileSmtpServer}, as its script sees it: raw bytes out,
 * lines in, and the ways a broken or hostile server misbehaves.
 */
export class HostileConnection {
  /** Every line this client sent, in order. */
  readonly lines: string[] = [];
  private socket: net.Socket;
  private buffer = '';
  private lineHandler?: (line: string) => void;
  private readonly timers = new Set<NodeJS.Timeout>();

  constructor(socket: net.Socket, private readonly received: string[]) {
    this.socket = socket;
    this.listen(socket);
  }

  /** Whether the connection runs over TLS (after STARTTLS). */
  get secure(): boolean {
    return this.socket instanceof tls.TLSSocket;
  }

  /** Calls `handler` with every line the client sends, without its CRLF. */
  onLine(handler: (line: string) => void) {
    this.lineHandler = handler;
  }

  write(data: string | Buffer) {
    if (!this.socket.destroyed) {
      this.socket.write(data);
    }
  }

  /**
   * Writes one byte per packet, a millisecond apart; `then` runs right after the last byte,
   * before anything the client answers can arrive.
   */
  writeSplit(data: string | Buffer, then?: () => void) {
    const socket = this.socket;
    const bytes = Buffer.from(data);
    socket.setNoDelay(true);
    let next = 0;
    const timer = setInterval(() => {
      if (socket.destroyed) {
        clearInterval(timer);
        this.timers.delete(timer);
        return;
      }
      socket.write(bytes.subarray(next, next + 1));
      next++;
      if (next === bytes.length) {
        clearInterval(timer);
        this.timers.delete(timer);
        then?.();
      }
    }, 1);
    this.timers.add(timer);
  }

  /** Writes `start`, then one more byte every `everyMs` for as long as the client listens. */
  drip(start: string, everyMs = 50) {
    this.write(start);
    const timer = setInterval(() => this.write('x'), everyMs);
    this.timers.add(timer);
  }

  /** Turns the connection into TLS, as after `220 Ready to start TLS`. */
  startTls(certificate: TestCertificate) {
    const plain = this.socket;
    plain.removeAllListeners('data');
    const secured = new tls.TLSSocket(plain, {
      isServer: true,
      key: certificate.key,
      cert: certificate.cert,
    });
    this.socket = secured;
    this.buffer = '';
    this.listen(secured);
  }

  close() {
    this.timers.forEach(clearInterval);
    this.timers.clear();
    this.socket.destroy();
  }

  private listen(socket: net.Socket) {
    socket.on('error', () => undefined);
    socket.on('close', () => this.close());
    socket.on('data', (chunk: Buffer) => {
      this.buffer += chunk.toString('latin1');
      let end = this.buffer.indexOf('\r\n');
      while (end >= 0) {
        const line = this.buffer.slice(0, end);
        this.buffer = this.buffer.slice(end + 2);
        this.lines.push(line);
        this.received.push(line);
        this.lineHandler?.(line);
        end = this.buffer.indexOf('\r\n');
      }
    });
  }
}

/**
 * A raw TCP server on a loopback port that a test scripts connection by connection, to answer
 * the way no real SMTP server should: huge or endless lines, garbage, echoes, stalled TLS.
 */
export class HostileSmtpServer {
  /** Every line any client sent, in order: what went over the wire. */
  readonly received: string[] = [];
  private readonly connections = new Set<HostileConnection>();
  private server!: net.Server;
  port = 0;

  static async start(
    script: (connection: HostileConnection) => void,
  ): Promise<HostileSmtpServer> {
    const hostile = new HostileSmtpServer();
    hostile.server = net.createServer(socket => {
      const connection = new HostileConnection(socket, hostile.received);
      hostile.connections.add(connection);
      socket.on('close', () => hostile.connections.delete(connection));
      script(connection);
    });
    await new Promise<void>(resolve =>
      hostile.server.listen(0, '127.0.0.1', resolve),
    );
    hostile.port = (hostile.server.address() as AddressInfo).port;
    return hostile;
  }

  async close(): Promise<void> {
    this.connections.forEach(connection => connection.close());
    await new Promise(resolve => this.server.close(resolve));
  }
}

/** How a scripted dialog answers a command: a reply, or taking over the connection. */
export type HostileAnswer = string | ((connection: HostileConnection) => void);

export type SmtpDialogOptions = {
  /** Offers STARTTLS, and speaks TLS after it, with this certificate. */
  certificate?: TestCertificate;
  /** AUTH mechanisms offered after EHLO. */
  auth?: string[];
  /** Every reply one byte per packet. */
  split?: boolean;
  /**
   * The answer to a command (`EHLO`, `STARTTLS`, `AUTH` once the whole exchange is in, `MAIL`,
   * `RCPT`, `DATA`, `.`), given the AUTH exchange so far; undefined keeps the usual answer.
   */
  answer?: (
    verb: string,
    context: { connection: HostileConnection; authExchange: string[] },
  ) => HostileAnswer | undefined;
};

/**
 * A script for {@link HostileSmtpServer} that speaks well-behaved SMTP (greeting, EHLO,
 * STARTTLS, AUTH PLAIN and LOGIN, MAIL, RCPT, DATA) except where `answer` says otherwise.
 */
export function smtpDialog(
  options: SmtpDialogOptions = {},
): (connection: HostileConnection) => void {
  return connection => {
    const say = (reply: string, then?: () => void) => {
      if (options.split) {
        connection.writeSplit(`${reply}\r\n`, then);
      } else {
        connection.write(`${reply}\r\n`);
        then?.();
      }
    };
    let stage: 'command' | 'login-user' | 'login-password' | 'data' = 'command';
    let authExchange: string[] = [];
    /** Answers a command; `then` runs after the usual answer only. */
    const respond = (verb: string, usual: string, then?: () => void) => {
      const answer = options.answer?.(verb, { connection, authExchange });
      if (answer === undefined) {
        say(usual, then);
      } else if (typeof answer === 'string') {
        say(answer);
      } else {
        answer(connection);
        return;
      }
      if (verb === 'DATA' && (answer ?? usual).startsWith('354')) {
        stage = 'data';
      }
    };

    say('220 hostile.example ESMTP');
    connection.onLine(line => {
      if (stage === 'data') {
        if (line === '.') {
          stage = 'command';
          respond('.', '250 2.0.0 Queued');
        }
        return;
      }
      if (stage === 'login-user') {
        authExchange.push(line);
        stage = 'login-password';
        say('334 UGFzc3dvcmQ6');
        return;
      }
      if (stage === 'login-password') {
        authExchange.push(line);
        stage = 'command';
        respond('AUTH', '235 2.7.0 Authentication successful');
        return;
      }
      const verb = line.split(' ', 1)[0].toUpperCase();
      switch (verb) {
        case 'EHLO':
        case 'HELO':
          respond(
            'EHLO',
            [
              '250-hostile.example',
              ...(options.certificate && !connection.secure
                ? ['250-STARTTLS']
                : []),
              `250-AUTH ${(options.auth ?? ['PLAIN', 'LOGIN']).join(' ')}`,
              '250 8BITMIME',
            ].join('\r\n'),
          );
          return;
        case 'STARTTLS':
          respond('STARTTLS', '220 2.0.0 Ready to start TLS', () => {
            if (options.certificate) {
              connection.startTls(options.certificate);
            }
          });
          return;
        case 'AUTH':
          authExchange = [line];
          if (/^AUTH LOGIN$/i.test(line)) {
            stage = 'login-user';
            say('334 VXNlcm5hbWU6');
            return;
          }
          respond('AUTH', '235 2.7.0 Authentication successful');
          return;
        case 'MAIL':
        case 'RCPT':
          respond(verb, '250 2.1.0 Ok');
          return;
        case 'DATA':
          respond('DATA', '354 End data with <CR><LF>.<CR><LF>');
          return;
        case 'QUIT':
          say('221 2.0.0 Bye');
          return;
        default:
          say('250 2.0.0 Ok');
      }
    });
  };
}
