import {
  effectiveSmtpUsername,
  VerifyStep,
} from '@internal/plugin-email-provider-common';
import net from 'node:net';
import tls from 'node:tls';
import nodemailer, { Transporter } from 'nodemailer';
import { SmtpPoolThread } from './SmtpPoolThread';
import type SMTPConnection from 'nodemailer/lib/smtp-connection';
import type SMTPTransport from 'nodemailer/lib/smtp-transport';
import type { SavedSmtpSettings } from '../../settings/DatabaseSettingsStore';
import { DestinationGuard } from '../DestinationGuard';
import { ProviderError } from '../ProviderError';
import { MailProvider, OutgoingMessage, SendResult } from '../types';
import { classifySmtpError, SmtpAttempt } from './classifySmtpError';
import { checkSmtpConnection } from './SmtpConnectionCheck';

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
  password: string;
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

  constructor(private readonly options: SmtpProviderOptions) {
    this.timeouts = { ...DEFAULT_SMTP_TIMEOUTS, ...options.timeouts };
  }

  private get attempt(): SmtpAttempt {
    const { host, port, security } = this.options.settings;
    return { host, port, security, secrets: [this.options.password] };
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

  async connectSocket(): Promise<net.Socket> {
    const { host, port } = this.options.settings;
    const { address } = await this.resolveDestination();
    return new Promise((resolve, reject) => {
      const socket = net.connect({ host: address, port });
      const timer = setTimeout(() => {
        socket.destroy();
        reject(
          Object.assign(new Error(`Connection to ${host}:${port} timed out`), {
            code: 'ETIMEDOUT',
            timeoutType: 'CONNECT_TIMEOUT',
          }),
        );
      }, this.timeouts.connectMs);
      socket.once('connect', () => {
        clearTimeout(timer);
        resolve(socket);
      });
      socket.once('error', error => {
        clearTimeout(timer);
        reject(error);
      });
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
        auth: { user: this.username, pass: password },
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
    try {
      const info = await Promise.race([
        transport.sendMail({
          from: { name: settings.fromName ?? '', address: settings.from },
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
      return { messageId: info.messageId, providerResponse: info.response };
    } catch (error) {
      throw await this.classify(error);
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * Classifies a failure; after a greeting timeout it first checks whether the port speaks TLS
   * from the start, the usual sign of StartTLS chosen for port 465.
   */
  async classify(error: unknown): Promise<ProviderError> {
    const timeoutType = (error as { timeoutType?: string })?.timeoutType;
    if (
      timeoutType === 'GREETING_TIMEOUT' &&
      this.options.settings.security !== 'tls'
    ) {
      return classifySmtpError(error, {
        ...this.attempt,
        serverSpeaksImplicitTls: await this.speaksImplicitTls(),
      });
    }
    return classifySmtpError(error, this.attempt);
  }

  private async speaksImplicitTls(): Promise<boolean> {
    const { host, port } = this.options.settings;
    try {
      const { address } = await this.resolveDestination();
      return await new Promise(resolve => {
        const socket = tls.connect({
          host: address,
          port,
          servername: net.isIP(host) ? undefined : host,
        });
        const done = (result: boolean) => {
          socket.destroy();
          resolve(result);
        };
        socket.setTimeout(1500, () => done(false));
        socket.once('secureConnect', () => done(true));
        // A certificate complaint still means the server answered the handshake in TLS.
        socket.once('error', (error: NodeJS.ErrnoException) =>
          done(
            /CERT|SELF_SIGNED|UNABLE_TO_(GET|VERIFY)/.test(error.code ?? ''),
          ),
        );
      });
    } catch {
      return false;
    }
  }

  async verify(): Promise<VerifyStep[]> {
    return checkSmtpConnection(this);
  }

  get settings(): SavedSmtpSettings {
    return this.options.settings;
  }

  get password(): string {
    return this.options.password;
  }

  async close(): Promise<void> {
    this.transport?.close();
    this.transport = undefined;
  }
}
