import type { ReceivedMail } from '@internal/mail-test-servers';
import fs from 'node:fs';

/**
 * Appends what the suite's SMTP server received to a JSON-lines file, which the tests read with
 * `waitForMail`: the envelope, the sign-in, TLS, the headers and text, and with `attachments`
 * each attachment as text.
 */
export function appendReceivedMail(
  file: string,
  mail: ReceivedMail,
  options: { attachments?: boolean } = {},
) {
  fs.appendFileSync(
    file,
    `${JSON.stringify({
      envelope: mail.envelope,
      user: mail.user,
      secure: mail.secure,
      from: mail.parsed.from?.text,
      to: mail.parsed.to,
      subject: mail.parsed.subject,
      text: mail.parsed.text,
      ...(options.attachments
        ? {
            attachments: mail.parsed.attachments.map(a => ({
              filename: a.filename,
              contentType: a.contentType,
              content: a.content.toString('utf8'),
            })),
          }
        : {}),
    })}\n`,
  );
}
