import { randomUUID } from 'node:crypto';
import type { SendEmailRequest } from '@email-provider/backstage-plugin-email-provider-common';
import { measureMessage, MessageSize } from '../providers/messageSize';
import type {
  MailAddress,
  OutgoingAttachment,
  OutgoingMessage,
} from '../providers/types';
import type { UnsubscribeGrant } from '../suppressions/UnsubscribeTokens';

const toAddresses = (list: string | string[] | undefined): MailAddress[] =>
  (typeof list === 'string' ? [list] : list ?? []).map(address => ({
    address,
  }));

/** A stored request read back for a send, its attachments decoded. */
export type StoredRequest = Omit<SendEmailRequest, 'attachments'> & {
  attachments?: OutgoingAttachment[];
};

/**
 * Reads a stored request (its `payload`) back for a send. Each attachment is decoded once here
 * and its base64, a third larger, is let go at once instead of staying alive with the request
 * while the message is out.
 */
export function readStoredRequest(payload: string): StoredRequest {
  const { attachments, ...request } = JSON.parse(payload) as SendEmailRequest;
  if (!attachments) {
    return request;
  }
  return {
    ...request,
    attachments: attachments.map(a => ({
      filename: a.filename,
      contentType: a.contentType,
      content: Buffer.from(a.contentBase64, 'base64'),
      ...(a.contentId ? { contentId: a.contentId } : {}),
    })),
  };
}

/**
 * The message a provider sends for a stored request, for one attempt: the provider may take the
 * attachments' contents (`handOverAttachments`), as nothing reads them after the send and the
 * next attempt reads the request again.
 */
export function toOutgoingMessage(
  request: StoredRequest,
  messageId: string,
  listUnsubscribeUrl?: string,
): OutgoingMessage {
  return {
    to: toAddresses(request.to),
    cc: toAddresses(request.cc),
    bcc: toAddresses(request.bcc),
    replyTo: toAddresses(request.replyTo),
    subject: request.subject,
    text: request.text,
    html: request.html,
    attachments: request.attachments,
    handOverAttachments: true,
    messageId,
    ...(listUnsubscribeUrl ? { listUnsubscribeUrl } : {}),
  };
}

/** Decoded size of what is sent: bodies and attachments, as limits count it. */
export function measureRequest(request: SendEmailRequest): MessageSize {
  return measureMessage(
    request,
    (request.attachments ?? []).reduce(
      (sum, a) => sum + Buffer.byteLength(a.contentBase64, 'base64'),
      0,
    ),
  );
}

/** Everyone the message goes to: `to`, `cc` and `bcc`. */
export function recipientsOf(request: SendEmailRequest): string[] {
  return [...request.to, ...(request.cc ?? []), ...(request.bcc ?? [])];
}

/** The Message-ID domain: the sender's, as mail servers expect. */
export function newMessageId(from: string): string {
  return `<${randomUUID()}@${from.slice(from.lastIndexOf('@') + 1)}>`;
}

/**
 * What the unsubscribe link of a message lets its recipient leave, when the caller asked for one:
 * the caller's list, for the message's one recipient (the request's schema allows no other).
 */
export function unsubscribeGrantOf(
  caller: string,
  request: Pick<SendEmailRequest, 'to' | 'unsubscribe'>,
): UnsubscribeGrant | undefined {
  if (!request.unsubscribe) {
    return undefined;
  }
  const { list, description } = request.unsubscribe;
  return {
    caller,
    list,
    ...(description === undefined ? {} : { description }),
    address: request.to[0],
  };
}
