import {
  effectiveSmtpUsername,
  VerifyStep,
} from '@email-provider/backstage-plugin-email-provider-common';
import net from 'node:net';
import tls from 'node:tls';
import nodemailer, { Transporter } from 'nodemailer';
import { SmtpPoolThread } from './SmtpPoolThread';
import type MimeNode from 'nodemailer/lib/mime-node';
import type SMTPConnection from 'nodemailer/lib/smtp-connection';
import type SMTPTransport from 'nodemailer/lib/smtp-transport';
import type { SavedSmtpSettings } from '../../settings/DatabaseSettingsStore';
import { DestinationGuard } from '../DestinationGuard';
import { ProviderError, redact } from '../ProviderError';
import { MailProvider, OutgoingMessage, SendResult } from '../types';
import {
  classifySmtpError,
  isRelayDenial,
  SmtpAttempt,
} from './classifySmtpError';
import { estimateSmtpSize } from './estimateSmtpSize';
import type { SmtpOffer } from './SmtpOffer';
import {
  checkSmtpConnection,
  CLASSIFY_PROBE_MS,
  readPlainOffer,
  untilAborted,
} from './SmtpConnectionCheck';

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

export const DEFAULT_SMTP_TIMEOUTS: SmtpTimeouts = {
  connectMs: 10_000,
  greetingMs: 10_000,
  socketMs: 30_000,
  deadlineMs: 60_000,
};

export type SmtpProviderOptions = {
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
  /** Keep connections open between messages, for bulk delivery. */
  pool?: { maxConnections: number };
};

/** nodemailer's transport, or a pool of its connections on a thread of its own. */
type MailTransport = Pick<Transporter, 'sendMail' | 'close'> | SmtpPoolThread;

/**
 * Sends through any SMTP server with nodemailer. StartTLS means TLS is required: a server that
 * does not offer it gets neither the login nor the message. Certificates are always verified;
 * a private CA is trusted through NODE_EXTRA_CA_CERTS.
 */
export class SmtpProvider implements MailProvider {
  readonly type = 'smtp';
  readonly timeouts: SmtpTimeouts;
  private transport?: MailTransport;
  private plainOffer?: Promise<SmtpOffer | undefined>;

  constructor(private readonly options: SmtpProviderOptions) {
    this.timeouts = { ...DEFAULT_SMTP_TIMEOUTS, ...options.timeouts };
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

  /** Whether the server is signed in to; a relay that admits the portal by address is not. */
  get signsIn(): boolean {
    return this.options.settings.authentication !== 'none';
  }

  get username(): string {
    return effectiveSmtpUsername(this.options.settings);
  }

  /** nodemailer connection options shared by sending and the connection check. */
  connectionOptions(): SMTPConnection.Options {
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
   * Opens the TCP connection for nodemailer to the address the guard resolved, so the check and
   * the connection use the same address; TLS still verifies the certificate against the host name.
   */
  resolveDestination(): Promise<{ address: string }> {
    return this.options.destinations.resolve(this.options.settings.host);
  }

  /** Connects within connectMs; `signal` gives up sooner, closing the socket. */
  async connectSocket(signal?: AbortSignal): Promise<net.Socket> {
    const { host, port } = this.options.settings;
    const resolving = this.resolveDestination();
    const { address } = await (signal
      ? untilAborted(signal, resolving)
      : resolving);
    // Aborted while resolving: no socket may be opened that nobody would close.
    signal?.throwIfAborted();
    return new Promise((resolve, reject) => {
      const socket = net.connect({ host: address, port });
      // Aborting this removes the listeners below once the attempt is settled.
      const settled = new AbortController();
      const giveUp = (reason: unknown) => {
        settled.abort();
        socket.destroy();
        reject(reason);
      };
      const timer = setTimeout(
        () =>
          giveUp(
            Object.assign(
              new Error(`Connection to ${host}:${port} timed out`),
              { code: 'ETIMEDOUT', timeoutType: 'CONNECT_TIMEOUT' },
            ),
          ),
        this.timeouts.connectMs,
      );
      settled.signal.addEventListener('abort', () => clearTimeout(timer));
      signal?.addEventListener('abort', () => giveUp(signal.reason), {
        once: true,
        signal: settled.signal,
      });
      socket.once('connect', () => {
        settled.abort();
        resolve(socket);
      });
      socket.once('error', giveUp);
    });
  }

  private getTransport(): MailTransport {
    if (this.transport instanceof SmtpPoolThread && this.transport.stopped) {
      // Its sends failed and will be retried; the next ones get a new thread.
      this.transport = undefined;
    }
    if (!this.transport) {
      const { password, pool } = this.options;
      const options: SMTPTransport.Options = {
        ...this.connectionOptions(),
        // Without `auth` nodemailer sends no AUTH, whatever the server offers.
        ...(this.signsIn
          ? { auth: { user: this.username, pass: password } }
          : {}),
        disableFileAccess: true,
        disableUrlAccess: true,
        logger: false,
      };
      const { host, port } = this.options.settings;
      this.transport = pool
        ? new SmtpPoolThread({
            transportOptions: {
              ...options,
              pool: true,
              maxConnections: pool.maxConnections,
            },
            connect: () => this.resolveDestination(),
            connectTimeoutMs: this.timeouts.connectMs,
            host,
            port,
          })
        : nodemailer.createTransport({
            ...options,
            getSocket: (_options, callback) => {
              this.connectSocket().then(
                connection => callback(null, { connection }),
                error => callback(error, undefined as never),
              );
            },
          });
    }
    return this.transport;
  }

  async send(message: OutgoingMessage): Promise<SendResult> {
    const { settings } = this.options;
    const transport = this.getTransport();
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        // The only way to stop nodemailer mid-exchange is to close the transport.
        this.transport = undefined;
        transport.close();
        reject(
          new ProviderError({
            code: 'timeout',
            message: `${settings.host}:${
              settings.port
            } did not finish taking the message within ${Math.round(
              this.timeouts.deadlineMs / 1000,
            )} seconds; check that the server is healthy.`,
            transient: true,
          }),
        );
      }, this.timeouts.deadlineMs);
    });
    const sender = { name: settings.fromName ?? '', address: settings.from };
    const envelope: MimeNode.Envelope & { size: number } = {
      from: settings.from,
      to: [...message.to, ...(message.cc ?? []), ...(message.bcc ?? [])].map(
        recipient => recipient.address,
      ),
      size: estimateSmtpSize(message, sender),
    };
    try {
      const info = await Promise.race([
        transport.sendMail({
          from: sender,
          // Built here from the validated addresses; the size lets a server that announces a
          // limit (SIZE) refuse the message before it is transmitted, not after.
          envelope,
          to: message.to,
          cc: message.cc,
          bcc: message.bcc,
          replyTo: message.replyTo,
          subject: message.subject,
          text: message.text,
          html: message.html,
          messageId: message.messageId,
          attachments: message.attachments?.map(a => ({
            filename: a.filename,
            contentType: a.contentType,
            content: a.content,
            ...(a.contentId ? { cid: a.contentId } : {}),
          })),
          disableFileAccess: true,
          disableUrlAccess: true,
        }),
        deadline,
      ]);
      return {
        messageId: info.messageId,
        // Kept in the delivery log: a server may echo the AUTH exchange here too.
        providerResponse:
          info.response && redact(info.response, this.attempt.secrets),
      };
    } catch (error) {
      throw await this.classify(error);
    } finally {
      clearTimeout(timer);
    }
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
    this.plainOffer ??= readPlainOffer(this, withinMs).then(offer => {
      if (!offer) {
        this.plainOffer = undefined;
      }
      return offer;
    });
    return this.plainOffer;
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

  async verify(): Promise<VerifyStep[]> {
    return checkSmtpConnection(this);
  }

  get settings(): SavedSmtpSettings {
    return this.options.settings;
  }

  get password(): string | undefined {
    return this.options.password;
  }

  async close(): Promise<void> {
    this.transport?.close();
    this.transport = undefined;
  }
}
