import { randomUUID } from 'node:crypto';
import type { SendEmailRequest } from '@email-provider/backstage-plugin-email-provider-common';
import { measureMessage, MessageSize } from '../providers/messageSize';
import type { MailAddress, OutgoingMessage } from '../providers/types';
import type { UnsubscribeGrant } from '../suppressions/UnsubscribeTokens';

const toAddresses = (list: string | string[] | undefined): MailAddress[] =>
  (typeof list === 'string' ? [list] : list ?? []).map(address => ({
    address,
  }));

/** The message a provider sends for a stored request. */
export function toOutgoingMessage(
  request: SendEmailRequest,
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
    attachments: request.attachments?.map(a => ({
      filename: a.filename,
      contentType: a.contentType,
      content: Buffer.from(a.contentBase64, 'base64'),
      ...(a.contentId ? { contentId: a.contentId } : {}),
    })),
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
  request: SendEmailRequest,
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
