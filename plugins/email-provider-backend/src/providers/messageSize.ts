/** The decoded size of a message: bodies, subject and attachments together, and attachments. */
export type MessageSize = { totalBytes: number; attachmentBytes: number };

/**
 * The size limits count: the bytes of the subject and bodies, and of the decoded attachments,
 * whether they are still base64 in a stored request or bytes on their way to a provider.
 */
export function measureMessage(
  parts: { subject: string; text?: string; html?: string },
  attachmentBytes: number,
): MessageSize {
  return {
    attachmentBytes,
    totalBytes:
      attachmentBytes +
      Buffer.byteLength(parts.subject) +
      Buffer.byteLength(parts.text ?? '') +
      Buffer.byteLength(parts.html ?? ''),
  };
}

/** A size in the sentences that refuse a message: `3.2 MB` (MiB, one decimal). */
export function megabytes(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}
