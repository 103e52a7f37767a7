import type { OutgoingMessage } from '../types';

// Generous room for what is not a body: the header block, MIME boundaries and part headers.
const MESSAGE_HEADER_ALLOWANCE = 2048;
const PART_HEADER_ALLOWANCE = 512;
// An encoded header word is at most about three bytes per byte (quoted-printable) plus folding.
const HEADER_ENCODING_FACTOR = 4;

/** Bytes of base64 in lines of 76 characters ending in CRLF, as nodemailer writes it. */
function base64Bytes(size: number): number {
  const encoded = Math.ceil(size / 3) * 4;
  return encoded + Math.ceil(encoded / 76) * 2;
}

const LF = 0x0a;
const CR = 0x0d;
const DOT = 0x2e;

function isQuotedPrintableLiteral(byte: number): boolean {
  return (
    byte === 0x09 ||
    byte === LF ||
    byte === CR ||
    (byte >= 0x20 && byte <= 0x7e && byte !== 0x3d)
  );
}

/**
 * Quoted-printable as nodemailer writes it, plus what the SMTP data stream adds: a CR before a
 * bare LF and a dot before a line starting with one. Soft breaks come at least every 73
 * characters; a space or tab before a line end is escaped.
 */
function quotedPrintableBytes(content: Buffer): number {
  let total = 0;
  let line = 0;
  const endLine = () => {
    const softBreaks = Math.max(0, Math.ceil(line / 73) - 1);
    total += line + softBreaks * 4;
    line = 0;
  };
  for (let i = 0; i < content.length; i++) {
    const byte = content[i];
    const next = content[i + 1];
    if (byte === LF) {
      endLine();
      total += 2;
      continue;
    }
    if (byte === CR && next === LF) {
      continue;
    }
    const endsLine = next === undefined || next === LF || next === CR;
    const literal =
      isQuotedPrintableLiteral(byte) &&
      !((byte === 0x20 || byte === 0x09) && endsLine);
    if (line === 0 && byte === DOT) {
      line++;
    }
    line += literal ? 1 : 3;
  }
  endLine();
  return total;
}

/** Text left as it is (7bit): CR before bare LFs, dot-stuffing. */
function sevenBitBytes(content: Buffer): number {
  let total = content.length;
  for (let i = 0; i < content.length; i++) {
    if (content[i] === LF && content[i - 1] !== CR) total++;
    if (content[i] === DOT && (i === 0 || content[i - 1] === LF)) total++;
  }
  return total;
}

/** nodemailer leaves a string as it is when it is plain ASCII in lines of at most 76. */
function staysSevenBit(text: string): boolean {
  if (text.length > 128 * 1024) {
    return false;
  }
  let line = 0;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code === LF || code === CR) {
      line = 0;
      continue;
    }
    if ((code < 0x20 && code !== 0x09) || code >= 0x80 || ++line > 76) {
      return false;
    }
  }
  return true;
}

/** nodemailer's choice for other text: quoted-printable when Latin letters outnumber the rest. */
function prefersQuotedPrintable(text: string): boolean {
  let latin = 0;
  let other = 0;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (
      code >= 0x80 ||
      (code < 0x20 && code !== 0x09 && code !== LF && code !== CR)
    ) {
      other++;
    } else if (
      (code >= 0x41 && code <= 0x5a) ||
      (code >= 0x61 && code <= 0x7a)
    ) {
      latin++;
    }
  }
  return other < latin;
}

/**
 * A text or HTML body goes out as 7bit, quoted-printable or base64, chosen as nodemailer
 * chooses (MimeNode.getTransferEncoding); the tests compare the estimate with its output.
 */
function textBytes(text: string): number {
  const bytes = Buffer.from(text);
  if (staysSevenBit(text)) {
    return sevenBitBytes(bytes);
  }
  return prefersQuotedPrintable(text)
    ? quotedPrintableBytes(bytes)
    : base64Bytes(bytes.length);
}

function headerBytes(...values: Array<string | undefined>): number {
  return values.reduce(
    (sum, value) =>
      sum + HEADER_ENCODING_FACTOR * Buffer.byteLength(value ?? ''),
    0,
  );
}

/**
 * A close upper bound of the bytes the message takes on the wire (after DATA), for the SMTP SIZE
 * extension: a server that announces a limit is told the size in MAIL FROM, and nodemailer
 * refuses a message over the limit before sending it. An estimate below the real size would let
 * the server refuse the whole message only after receiving it; one too far above would refuse
 * messages that fit. Binary attachments, usually the bulk, are counted exactly.
 */
export function estimateSmtpSize(
  message: OutgoingMessage,
  sender: { address: string; name?: string },
): number {
  const addresses = [
    sender,
    ...message.to,
    ...(message.cc ?? []),
    ...(message.replyTo ?? []),
  ];
  let size =
    MESSAGE_HEADER_ALLOWANCE +
    headerBytes(
      message.subject,
      message.messageId,
      message.listUnsubscribeUrl,
      ...addresses.flatMap(a => [a.address, a.name]),
    );
  // Up to three multipart containers (mixed, related, alternative) besides the parts themselves.
  size += 3 * PART_HEADER_ALLOWANCE;
  for (const body of [message.text, message.html]) {
    if (body !== undefined) {
      size += PART_HEADER_ALLOWANCE + textBytes(body);
    }
  }
  for (const attachment of message.attachments ?? []) {
    size +=
      PART_HEADER_ALLOWANCE +
      // The file name appears in Content-Type and Content-Disposition.
      2 * headerBytes(attachment.filename) +
      headerBytes(attachment.contentType, attachment.contentId) +
      // Attachments are base64, but for message/* which goes out as it is (RFC 2046 5.2.1).
      (/^message\//i.test(attachment.contentType)
        ? sevenBitBytes(attachment.content)
        : base64Bytes(attachment.content.length));
  }
  return size;
}
