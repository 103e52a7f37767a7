import type {
  EmailFailureParams,
  VerifyStep,
} from '@email-provider/backstage-plugin-email-provider-common';
import nodemailer, { SendMailOptions, Transporter } from 'nodemailer';
import type MimeNode from 'nodemailer/lib/mime-node';
import { ProviderError } from '../ProviderError';
import { MailProvider, OutgoingMessage, SendResult } from '../types';
import { estimateSmtpSize } from './estimateSmtpSize';
import { SmtpConnection, SmtpConnectionOptions } from './SmtpConnection';
import { checkSmtpConnection } from './SmtpConnectionCheck';
import { SmtpPoolThread } from './SmtpPoolThread';

export type SmtpProviderOptions = SmtpConnectionOptions & {
  /** Keep connections open between messages, for bulk delivery. */
  pool?: { maxConnections: number };
};

/** nodemailer's transport, or a pool of its connections on a thread of its own. */
type MailTransport = Pick<Transporter, 'sendMail' | 'close'> | SmtpPoolThread;

/**
 * Sends through any SMTP server with nodemailer, connected and classified by SmtpConnection; the
 * same connection runs the connection check.
 */
export class SmtpProvider implements MailProvider {
  /**
   * No rule at enqueue beyond the portal's maximum: a server's SIZE is known only from its EHLO,
   * and a message over it fails at its attempt with the server's limit.
   */
  static readonly refuseSize = (): string | undefined => undefined;

  readonly type = 'smtp';
  private readonly connection: SmtpConnection;
  private transport?: MailTransport;

  constructor(private readonly options: SmtpProviderOptions) {
    this.connection = new SmtpConnection(options);
  }

  private getTransport(): MailTransport {
    if (this.transport instanceof SmtpPoolThread && this.transport.stopped) {
      // Its sends failed and will be retried; the next ones get a new thread.
      this.transport = undefined;
    }
    if (!this.transport) {
      const { pool } = this.options;
      const options = this.connection.transportOptions();
      this.transport = pool
        ? new SmtpPoolThread({
            transportOptions: {
              ...options,
              pool: true,
              maxConnections: pool.maxConnections,
              // nodemailer closes a connection after 100 messages by default, and the message
              // after it waits for a new one (TCP, TLS, EHLO, AUTH): at a steady rate, one in a
              // hundred. A connection is kept until it idles for nodemailer's 4 minutes, or the
              // server ends it; a message that finds it ended goes over a new one.
              maxMessages: Infinity,
            },
            connectTo: () => this.connection.socketTarget(),
          })
        : nodemailer.createTransport({
            ...options,
            getSocket: (_options, callback) => {
              this.connection.connectSocket().then(
                socket => callback(null, { connection: socket }),
                error => callback(error, undefined as never),
              );
            },
          });
    }
    return this.transport;
  }

  async send(message: OutgoingMessage): Promise<SendResult> {
    const { settings } = this.options;
    const { deadlineMs } = this.connection.timeouts;
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
              deadlineMs / 1000,
            )} seconds; check that the server is healthy.`,
            params: {
              reason: 'send-deadline',
              host: settings.host,
              port: settings.port,
              seconds: Math.round(deadlineMs / 1000),
            } satisfies EmailFailureParams['timeout'],
            transient: true,
          }),
        );
      }, deadlineMs);
    });
    const sender = { name: settings.fromName ?? '', address: settings.from };
    const envelope: MimeNode.Envelope & { size: number } = {
      from: settings.from,
      to: [...message.to, ...(message.cc ?? []), ...(message.bcc ?? [])].map(
        recipient => recipient.address,
      ),
      size: estimateSmtpSize(message, sender),
    };
    const mail: SendMailOptions = {
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
      // RFC 8058: the link is ours (a signed token for the one recipient), never the caller's.
      ...(message.listUnsubscribeUrl
        ? {
            list: { unsubscribe: message.listUnsubscribeUrl },
            headers: {
              'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click',
            },
          }
        : {}),
      attachments: message.attachments?.map(a => ({
        filename: a.filename,
        contentType: a.contentType,
        content: a.content,
        ...(a.contentId ? { cid: a.contentId } : {}),
      })),
      disableFileAccess: true,
      disableUrlAccess: true,
    };
    try {
      const info = await Promise.race([
        transport instanceof SmtpPoolThread
          ? transport.sendMail(mail, {
              moveAttachments: message.handOverAttachments,
            })
          : transport.sendMail(mail),
        deadline,
      ]);
      return {
        messageId: info.messageId,
        // Kept in the delivery log: a server may echo the AUTH exchange here too.
        providerResponse:
          info.response && this.connection.redact(info.response),
      };
    } catch (error) {
      throw await this.connection.classify(error);
    } finally {
      clearTimeout(timer);
    }
  }

  async verify(): Promise<VerifyStep[]> {
    return checkSmtpConnection(this.connection);
  }

  async close(): Promise<void> {
    this.transport?.close();
    this.transport = undefined;
  }
}
