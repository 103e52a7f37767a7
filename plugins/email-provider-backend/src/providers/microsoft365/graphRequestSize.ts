import type { MessageSize } from '../messageSize';

// A Graph request carries at most 4 MB, base64-encoded attachments included; a message that
// would not fit in one sendMail request needs a draft and upload sessions (Mail.ReadWrite).
const GRAPH_REQUEST_LIMIT = 4 * 1024 * 1024;
// Recipients, headers and the JSON around bodies and attachments.
const GRAPH_ENVELOPE_ALLOWANCE = 64 * 1024;

/** About how large the sendMail request for a message of this size is, base64 included. */
export function graphRequestBytes(size: MessageSize): number {
  return (
    Math.ceil(size.attachmentBytes / 3) * 4 +
    (size.totalBytes - size.attachmentBytes) +
    GRAPH_ENVELOPE_ALLOWANCE
  );
}

/** Whether a request body of this many bytes fits in one Graph request. */
export function fitsOneRequest(requestBytes: number): boolean {
  return requestBytes <= GRAPH_REQUEST_LIMIT;
}

/** Whether a message is too large for one sendMail request. */
export function needsUploadSession(size: MessageSize): boolean {
  return !fitsOneRequest(graphRequestBytes(size));
}
