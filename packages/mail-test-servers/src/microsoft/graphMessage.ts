import type { ParsedMail } from 'mailparser';
import type { IncomingMessage } from 'node:http';
import { badBody, GraphRefusal, parseJson } from './graphRefusals';

/** The parts of a Graph message the fake checks; the rest is kept as sent. */
export type GraphMessage = {
  subject?: string;
  body: { contentType: string; content: string };
  toRecipients: GraphRecipient[];
  ccRecipients?: GraphRecipient[];
  bccRecipients?: GraphRecipient[];
  replyTo?: GraphRecipient[];
  from?: GraphRecipient;
  internetMessageId?: string;
  /** The header fields of a message sent as MIME, unfolded, in their order. */
  internetMessageHeaders?: Array<{ name: string; value: string }>;
  attachments?: Array<{
    '@odata.type': string;
    name: string;
    contentType?: string;
    contentBytes: string;
    isInline?: boolean;
    contentId?: string;
  }>;
  [property: string]: unknown;
};

export type GraphRecipient = {
  emailAddress: { address: string; name?: string };
};

export type FileAttachment = NonNullable<GraphMessage['attachments']>[number];

/** A message the fake accepted for sending, through sendMail or a draft's `send`. */
export type ReceivedGraphMail = {
  /** The user the request was made for: `/users/{mailbox}/sendMail`. */
  mailbox: string;
  /** As sent; a sent draft's attachments include those uploaded in sessions, reassembled. */
  message: GraphMessage;
  saveToSentItems: unknown;
  sentAs: 'sendMail' | 'draft';
  /** How sendMail got it: a JSON message, or a MIME message (`Content-Type: text/plain`). */
  format: 'json' | 'mime';
  /** A MIME message as parsed, header fields included; only with the `mime` format. */
  mime?: ParsedMail;
};

/** A draft made through `POST /users/{mailbox}/messages`, not yet sent or deleted. */
export type GraphDraft = {
  id: string;
  mailbox: string;
  message: GraphMessage;
};

/** The largest message Exchange Online takes through Graph. */
export const MAX_MESSAGE_BYTES = 150 * 1024 * 1024;

/** Checks the request body as Graph's sendMail does; a refusal, or nothing when it is fine. */
export function checkSendMailBody(
  request: IncomingMessage,
  body: Buffer,
): GraphRefusal | undefined {
  const parsed = parseJson(request, body);
  if (parsed.refusal) {
    return parsed.refusal;
  }
  const message = (parsed.value as { message?: unknown } | null)?.message;
  if (typeof message !== 'object' || message === null) {
    return badBody("The parameter 'Message' is required.");
  }
  return checkMessageFields(message, { recipientsRequired: true });
}

/** Checks a Graph message, of sendMail or a new draft (which may have no recipients yet). */
export function checkMessageFields(
  value: unknown,
  options: { recipientsRequired: boolean },
): GraphRefusal | undefined {
  if (typeof value !== 'object' || value === null) {
    return badBody('The request body must be a message.');
  }
  const message = value as Partial<GraphMessage>;
  if (message.subject !== undefined && typeof message.subject !== 'string') {
    return badBody("Cannot convert a value to the expected type 'Edm.String'.");
  }
  if (
    !message.body ||
    !['text', 'html'].includes(
      String(message.body.contentType).toLowerCase(),
    ) ||
    typeof message.body.content !== 'string'
  ) {
    return badBody(
      "Cannot convert the literal to the expected type 'microsoft.graph.bodyType'.",
    );
  }
  const refusal = options.recipientsRequired
    ? checkRecipients(message)
    : checkRecipientAddresses(message);
  if (refusal) {
    return refusal;
  }
  for (const attachment of message.attachments ?? []) {
    const attachmentRefusal = checkFileAttachment(attachment);
    if (attachmentRefusal) {
      return attachmentRefusal;
    }
  }
  return undefined;
}

function allRecipients(message: Partial<GraphMessage>): GraphRecipient[] {
  return [
    ...(message.toRecipients ?? []),
    ...(message.ccRecipients ?? []),
    ...(message.bccRecipients ?? []),
  ];
}

function checkRecipientAddresses(
  message: Partial<GraphMessage>,
): GraphRefusal | undefined {
  return allRecipients(message).some(
    r => !/^[^@\s]+@[^@\s]+$/.test(r?.emailAddress?.address),
  )
    ? {
        status: 400,
        code: 'ErrorInvalidRecipients',
        message: "At least one recipient isn't valid.",
      }
    : undefined;
}

/** A message to be sent needs valid recipients, at least one of them in To. */
export function checkRecipients(
  message: Partial<GraphMessage>,
): GraphRefusal | undefined {
  if (!message.toRecipients?.length) {
    return {
      status: 400,
      code: 'ErrorInvalidRecipients',
      message:
        "At least one recipient isn't valid., A message can't be sent because it contains no recipients.",
    };
  }
  return checkRecipientAddresses(message);
}

export function checkMessageSize(
  message: GraphMessage,
): GraphRefusal | undefined {
  const bytes = (message.attachments ?? []).reduce(
    (sum, attachment) =>
      sum + Buffer.byteLength(attachment.contentBytes, 'base64'),
    Buffer.byteLength(message.body.content),
  );
  return bytes > MAX_MESSAGE_BYTES
    ? {
        status: 400,
        code: 'ErrorMessageSizeExceeded',
        message: 'The message exceeds the maximum supported size.',
      }
    : undefined;
}

export function checkFileAttachment(value: unknown): GraphRefusal | undefined {
  const attachment = value as Partial<FileAttachment> | null;
  if (attachment?.['@odata.type'] !== '#microsoft.graph.fileAttachment') {
    return badBody(
      `The property '@odata.type' of an attachment must name a fileAttachment, not '${attachment?.['@odata.type']}'.`,
    );
  }
  if (
    typeof attachment.name !== 'string' ||
    !isBase64(attachment.contentBytes)
  ) {
    return badBody(
      `Cannot convert the literal '${String(attachment.contentBytes).slice(
        0,
        20,
      )}' to the expected type 'Edm.Binary'.`,
    );
  }
  return undefined;
}

function isBase64(value: unknown): boolean {
  return (
    typeof value === 'string' &&
    value.length % 4 === 0 &&
    /^[A-Za-z0-9+/]*={0,2}$/.test(value)
  );
}
