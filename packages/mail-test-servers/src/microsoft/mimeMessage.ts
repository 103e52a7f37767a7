import { AddressObject, ParsedMail, simpleParser } from 'mailparser';
import type { GraphMessage, GraphRecipient } from './graphMessage';
import type { GraphRefusal } from './graphRefusals';

/** Graph's answer to a sendMail body in text/plain that is not base64 (documented for sendMail). */
const INVALID_BASE64: GraphRefusal = {
  status: 400,
  code: 'ErrorMimeContentInvalidBase64String',
  message: 'Invalid base64 string for MIME content.',
};

/** Graph's answer to base64 that decodes to something other than a MIME message. */
const INVALID_MIME: GraphRefusal = {
  status: 400,
  code: 'ErrorMimeContentInvalid',
  message: 'Invalid MIME content.',
};

/** Whether a request body is MIME, which sendMail takes as `Content-Type: text/plain`. */
export function isMimeBody(contentType: string | undefined): boolean {
  return /^text\/plain\b/i.test(contentType ?? '');
}

/**
 * Reads a sendMail body in MIME format: base64 (whitespace ignored, as .NET's decoder does) of
 * a message that starts with header fields. The message, as Graph would show it, and as parsed.
 */
export async function readMimeMessage(body: Buffer): Promise<{
  message?: GraphMessage;
  mime?: ParsedMail;
  refusal?: GraphRefusal;
}> {
  const base64 = body.toString('latin1').replace(/[\t\n\r ]/g, '');
  if (base64.length % 4 !== 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(base64)) {
    return { refusal: INVALID_BASE64 };
  }
  let mime: ParsedMail;
  try {
    // The HTML as sent, with its cid: links, not with the inline images folded into it.
    mime = await simpleParser(Buffer.from(base64, 'base64'), {
      keepCidLinks: true,
    });
  } catch {
    return { refusal: INVALID_MIME };
  }
  // mailparser takes any text; a line before the blank line that is no header field, or no
  // header at all, means this was never a MIME message.
  if (
    mime.headerLines.length === 0 ||
    mime.headerLines.some(header => header.key === '')
  ) {
    return { refusal: INVALID_MIME };
  }
  return { message: toGraphMessage(mime), mime };
}

function recipients(
  field: AddressObject | AddressObject[] | undefined,
): GraphRecipient[] {
  return [field ?? []].flat().flatMap(group =>
    group.value.flatMap(mailbox =>
      mailbox.address
        ? [
            {
              emailAddress: {
                address: mailbox.address,
                ...(mailbox.name ? { name: mailbox.name } : {}),
              },
            },
          ]
        : [],
    ),
  );
}

/** The message in Graph's shape, with its header fields as `internetMessageHeaders`. */
function toGraphMessage(mime: ParsedMail): GraphMessage {
  return {
    subject: mime.subject,
    body:
      typeof mime.html === 'string'
        ? { contentType: 'HTML', content: mime.html }
        : { contentType: 'Text', content: mime.text ?? '' },
    from: recipients(mime.from)[0],
    toRecipients: recipients(mime.to),
    ccRecipients: recipients(mime.cc),
    bccRecipients: recipients(mime.bcc),
    replyTo: recipients(mime.replyTo),
    internetMessageId: mime.messageId,
    internetMessageHeaders: mime.headerLines.map(({ line }) => {
      const colon = line.indexOf(':');
      return {
        name: line.slice(0, colon),
        value: line
          .slice(colon + 1)
          .replace(/\r?\n[\t ]+/g, ' ')
          .trim(),
      };
    }),
    attachments: mime.attachments.map(attachment => ({
      '@odata.type': '#microsoft.graph.fileAttachment',
      name: attachment.filename ?? '',
      contentType: attachment.contentType,
      contentBytes: attachment.content.toString('base64'),
      ...(attachment.contentDisposition === 'inline' && attachment.cid
        ? { isInline: true, contentId: attachment.cid }
        : {}),
    })),
  };
}
