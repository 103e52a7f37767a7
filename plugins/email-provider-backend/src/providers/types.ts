import type { VerifyStep } from '@email-provider/backstage-plugin-email-provider-common';
import type { MessageSize } from './messageSize';

/** A mailbox: an address checked by `isEmailAddress`, and an optional display name. */
export type MailAddress = { address: string; name?: string };

export type OutgoingAttachment = {
  filename: string;
  contentType: string;
  content: Buffer;
  /** Set for an inline image, referenced from the HTML as `cid:<contentId>`. */
  contentId?: string;
};

/** A message as the plugin hands it to a provider; the sender is always the configured one. */
export type OutgoingMessage = {
  to: MailAddress[];
  cc?: MailAddress[];
  bcc?: MailAddress[];
  replyTo?: MailAddress[];
  subject: string;
  text?: string;
  html?: string;
  attachments?: OutgoingAttachment[];
  /**
   * The attachments' contents are the provider's to keep: the message was built for this one
   * send and nothing reads them after it. The SMTP provider then moves them to its sending
   * thread instead of copying them, which leaves these Buffers empty.
   */
  handOverAttachments?: boolean;
  /**
   * The Message-ID header, `<id@domain>`, the same on every attempt so receivers can
   * de-duplicate a message sent twice.
   */
  messageId: string;
  /**
   * The one-click unsubscribe link of RFC 8058 for the message's one recipient: the provider
   * sends it as `List-Unsubscribe: <url>` with `List-Unsubscribe-Post: List-Unsubscribe=One-Click`.
   */
  listUnsubscribeUrl?: string;
};

export type SendResult = {
  /** The Message-ID the message went out with. */
  messageId: string;
  /** What the provider answered, such as SMTP's `250 2.0.0 OK queued as …`. */
  providerResponse?: string;
};

/**
 * One email provider, SMTP or Microsoft 365, with its settings and secret. A provider may hold
 * connections or tokens between sends; `close` releases them.
 */
export interface MailProvider {
  readonly type: 'smtp' | 'microsoft365';
  /** Sends one message; throws a `ProviderError` when it was not accepted. */
  send(message: OutgoingMessage): Promise<SendResult>;
  /** Checks the connection step by step and sends nothing; stops at the first failed step. */
  verify(): Promise<VerifyStep[]>;
  close(): Promise<void>;
}

/**
 * What a provider type can take, known from its settings before any provider is built, so that
 * the outbox refuses at enqueue a message no attempt could send. Each provider class has one, as
 * its static `refuseSize`.
 *
 * @returns why a message of this size cannot go out with these settings, or undefined
 */
export type MessageSizeRule = (
  size: MessageSize,
  settings: { largeMessages?: boolean },
) => string | undefined;
