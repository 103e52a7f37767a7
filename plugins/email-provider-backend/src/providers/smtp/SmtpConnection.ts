import { effectiveSmtpUsername } from '@email-provider/backstage-plugin-email-provider-common';
import net from 'node:net';
import tls from 'node:tls';
import NodemailerConnection from 'nodemailer/lib/smtp-connection';
import type SMTPTransport from 'nodemailer/lib/smtp-transport';
import type { SocketTarget } from '../../../smtpPoolThread/connectSocket';
import type { SavedSmtpSettings } from '../../settings/DatabaseSettingsStore';
import { DestinationGuard } from '../DestinationGuard';
import { ProviderError, redact } from '../ProviderError';
import {
  classifySmtpError,
  isRelayDenial,
  SmtpAttempt,
} from './classifySmtpError';
import { readSmtpOffer, SmtpOffer } from './SmtpOffer';
import { connectSocket as connectToTarget } from './smtpPoolThreadFiles';
import { untilAborted } from './untilAborted';

/**
 * How long an SMTP exchange may take. nodemailer's defaults (two minutes to connect, ten of
 * idle socket) are far too long for an admin waiting on a button or a worker; and a server that
 * drips one byte at a time never goes idle, so a whole send also has a wall-clock deadline.
 */
export type SmtpTimeouts = {
  connectMs: number;
  greetingMs: number;
  socketMs: number;
  deadlineMs: number;
};

const DEFAULT_SMTP_TIMEOUTS: SmtpTimeouts = {
  connectMs: 10_000,
  greetingMs: 10_000,
  socketMs: 30_000,
  deadlineMs: 60_000,
};

/** How long classifying a failure may spend probing the server (see SmtpConnection.classify). */
export const CLASSIFY_PROBE_MS = 1500;

export type SmtpConnectionOptions = {
  settings: SavedSmtpSettings;
  /** Absent when the server requires no authentication (`authentication: 'none'`). */
  password?: string;
  /**
   * The name given in EHLO. Unless set, nodemailer's: the machine's host name if it has a dot,
   * otherwise `[127.0.0.1]`.
   */
  ehloName?: string;
  destinations: DestinationGuard;
  timeouts?: Partial<SmtpTimeouts>;
};

/**
 * One exchange with nodemailer's connection. nodemailer reports a failed handshake (a greeting
 * timeout, StartTLS refused, a certificate, a closed socket) only as an 'error' or 'end' event,
 * never to the callback; so the exchange settles on whichever comes first, or on `signal`.
 */
export function exchange<T>(
  smtp: NodemailerConnection,
  signal: AbortSignal,
  run: (done: (error?: Error | null, value?: T) => void) => void,
): Promise<T> {
  return untilAborted(
    signal,
    new Promise<T>((resolve, reject) => {
      const closed = () =>
        fail(
          Object.assign(new Error('Connection closed unexpectedly'), {
            code: 'ECONNECTION',
          }),
        );
      const stopListening = () => {
        smtp.off('error', fail);
        smtp.off('end', closed);
      };
      function fail(error: Error) {
        stopListening();
        reject(error);
      }
      smtp.on('error', fail);
      smtp.on('end', closed);
      run((error, value) => {
        stopListening();
        if (error) {
          reject(error);
        } else {
          resolve(value as T);
        }
      });
    }),
  );
}

/**
 * Everything about reaching one configured SMTP server, for sending (SmtpProvider) and the
 * connection check alike: the settings and the password, the DestinationGuard's address, the
 * timeouts, TLS (plain, StartTLS required, implicit), the EHLO name, signing in or not, and what
 * a failure means. StartTLS means TLS is required: a server that does not offer it gets neither
 * the login nor the message. Certificates are always verified; a private CA is trusted through
 * NODE_EXTRA_CA_CERTS.
 */
export class SmtpConnection {
  readonly timeouts: SmtpTimeouts;
  private plainOffer?: Promise<SmtpOffer | undefined>;

  constructor(private readonly options: SmtpConnectionOptions) {
    this.timeouts = { ...DEFAULT_SMTP_TIMEOUTS, ...options.timeouts };
  }

  get settings(): SavedSmtpSettings {
    return this.options.settings;
  }

  /** Whether the server is signed in to; a relay that admits the portal by address is not. */
  get signsIn(): boolean {
    return this.options.settings.authentication !== 'none';
  }

  get username(): string {
    return effectiveSmtpUsername(this.options.settings);
  }

  private get attempt(): SmtpAttempt {
    const { host, port, security, authentication } = this.options.settings;
    const { password } = this.options;
    return {
      host,
      port,
      security,
      authentication,
      secrets: password === undefined ? [] : [password],
    };
  }

  /** A server's reply as it may be kept: a server may echo the AUTH exchange. */
  redact(reply: string): string {
    return redact(reply, this.attempt.secrets);
  }

  /** nodemailer's connection options, for a single connection and a transport alike. */
  private connectionOptions(): NodemailerConnection.Options {
    const { host, port, security } = this.options.settings;
    return {
      host,
      port,
      secure: security === 'tls',
      requireTLS: security === 'starttls',
      ignoreTLS: security === 'none',
      tls: { minVersion: 'TLSv1.2' },
      name: this.options.ehloName,
      connectionTimeout: this.timeouts.connectMs,
      greetingTimeout: this.timeouts.greetingMs,
      socketTimeout: this.timeouts.socketMs,
    };
  }

  /**
   * Options for a nodemailer transport that sends through this server, serializable (the pool
   * thread gets them): sockets come from the caller's `getSocket`, through `connectSocket` or
   * `socketTarget`.
   */
  transportOptions(): SMTPTransport.Options {
    return {
      ...this.connectionOptions(),
      // Without `auth` nodemailer sends no AUTH, whatever the server offers.
      ...(this.signsIn
        ? { auth: { user: this.username, pass: this.options.password } }
        : {}),
      disableFileAccess: true,
      disableUrlAccess: true,
      logger: false,
    };
  }

  /**
   * The address the guard allows for the host. Connections go to it, so the check and the
   * connection use the same address; TLS still verifies the certificate against the host name.
   */
  resolveDestination(): Promise<{ address: string }> {
    return this.options.destinations.resolve(this.options.settings.host);
  }

  /** Where and within how long the next connection opens, resolved by the guard. */
  async socketTarget(): Promise<SocketTarget> {
    const { host, port } = this.options.settings;
    const { address } = await this.resolveDestination();
    return {
      address,
      port,
      label: `${host}:${port}`,
      timeoutMs: this.timeouts.connectMs,
    };
  }

  /** Connects within connectMs; `signal` gives up sooner, closing the socket. */
  async connectSocket(signal?: AbortSignal): Promise<net.Socket> {
    const resolving = this.socketTarget();
    const target = await (signal ? untilAborted(signal, resolving) : resolving);
    // Aborted while resolving: no socket may be opened that nobody would close.
    signal?.throwIfAborted();
    return connectToTarget({ ...target, signal });
  }

  /** Opens nodemailer's connection over a connected socket; its 'error' events are handled. */
  openSmtp(
    socket: net.Socket,
    overrides: NodemailerConnection.Options = {},
  ): NodemailerConnection {
    const smtp = new NodemailerConnection({
      ...this.connectionOptions(),
      ...overrides,
      connection: socket,
      logger: false,
    });
    // Between exchanges an error has no one to go to; without a listener it would be thrown.
    smtp.on('error', () => undefined);
    return smtp;
  }

  /** Signs in on an open connection; the password goes nowhere else. */
  signIn(smtp: NodemailerConnection, signal: AbortSignal): Promise<unknown> {
    return exchange<unknown>(smtp, signal, done =>
      smtp.login({ user: this.username, pass: this.options.password }, done),
    );
  }

  /**
   * Classifies a failure. Some need a look at the server, within `probeWithinMs`: after a
   * greeting timeout, whether the port speaks TLS from the start (the usual sign of StartTLS
   * chosen for port 465); after a relay refusal on a plain connection, what the server offers
   * there (sign-in only after StartTLS is the usual reason).
   */
  async classify(
    error: unknown,
    probeWithinMs = CLASSIFY_PROBE_MS,
  ): Promise<ProviderError> {
    const { security } = this.options.settings;
    const canProbe = probeWithinMs > 0 && !(error instanceof ProviderError);
    const timeoutType = (error as { timeoutType?: string })?.timeoutType;
    if (canProbe && timeoutType === 'GREETING_TIMEOUT' && security !== 'tls') {
      return classifySmtpError(error, {
        ...this.attempt,
        serverSpeaksImplicitTls: await this.speaksImplicitTls(probeWithinMs),
      });
    }
    // Without sign-in, what the server offers for it does not change the fix.
    if (
      canProbe &&
      security === 'none' &&
      this.signsIn &&
      isRelayDenial(error)
    ) {
      const offer = await this.probePlainOffer(probeWithinMs);
      return classifySmtpError(error, {
        ...this.attempt,
        ...(offer
          ? { plainOffer: { startTls: offer.startTls, auth: !!offer.auth } }
          : {}),
      });
    }
    return classifySmtpError(error, this.attempt);
  }

  /** One look for all the messages a refusing server fails at once; a failed look is retried. */
  private probePlainOffer(withinMs: number): Promise<SmtpOffer | undefined> {
    this.plainOffer ??= this.readPlainOffer(withinMs).then(offer => {
      if (!offer) {
        this.plainOffer = undefined;
      }
      return offer;
    });
    return this.plainOffer;
  }

  /**
   * What the server offers on a plain connection (EHLO, no StartTLS), read within `withinMs`;
   * undefined when that was not possible. Nothing but EHLO and QUIT is sent.
   */
  private async readPlainOffer(
    withinMs: number,
  ): Promise<SmtpOffer | undefined> {
    const probe = new AbortController();
    const timer = setTimeout(
      () => probe.abort(new Error('No EHLO reply in time')),
      withinMs,
    );
    let socket: net.Socket | undefined;
    let smtp: NodemailerConnection | undefined;
    try {
      socket = await this.connectSocket(probe.signal);
      const plain = this.openSmtp(socket, {
        secure: false,
        requireTLS: false,
        ignoreTLS: true,
      });
      smtp = plain;
      await exchange<void>(plain, probe.signal, done => plain.connect(done));
      return readSmtpOffer(String(plain.lastServerResponse || ''));
    } catch {
      return undefined;
    } finally {
      clearTimeout(timer);
      smtp?.quit();
      smtp?.close();
      socket?.destroy();
    }
  }

  private async speaksImplicitTls(withinMs: number): Promise<boolean> {
    const { host } = this.options.settings;
    // Wall-clock: a server that drips bytes never lets the socket go idle.
    const probe = AbortSignal.timeout(withinMs);
    let socket: net.Socket | undefined;
    let secured: tls.TLSSocket | undefined;
    try {
      const plain = await this.connectSocket(probe);
      socket = plain;
      return await new Promise<boolean>(resolve => {
        secured = tls.connect({
          socket: plain,
          host,
          servername: net.isIP(host) ? undefined : host,
        });
        probe.addEventListener('abort', () => resolve(false), { once: true });
        secured.once('secureConnect', () => resolve(true));
        // A certificate complaint still means the server answered the handshake in TLS.
        secured.on('error', (error: NodeJS.ErrnoException) =>
          resolve(
            /CERT|SELF_SIGNED|UNABLE_TO_(GET|VERIFY)/.test(error.code ?? ''),
          ),
        );
      });
    } catch {
      return false;
    } finally {
      secured?.destroy();
      socket?.destroy();
    }
  }
}
