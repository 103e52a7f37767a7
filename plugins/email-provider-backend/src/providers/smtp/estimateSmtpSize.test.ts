import MailComposer from 'nodemailer/lib/mail-composer';
import type { OutgoingMessage } from '../types';
import { estimateSmtpSize } from './estimateSmtpSize';

const sender = { address: 'reports@example.com', name: 'ACME Portal' };

/** The bytes nodemailer sends after DATA: its MIME output, line ends made CRLF, dots stuffed. */
async function wireSize(mail: OutgoingMessage): Promise<number> {
  const built = await new MailComposer({
    from: sender,
    to: mail.to,
    cc: mail.cc,
    bcc: mail.bcc,
    replyTo: mail.replyTo,
    subject: mail.subject,
    text: mail.text,
    html: mail.html,
    messageId: mail.messageId,
    attachments: mail.attachments?.map(a => ({
      filename: a.filename,
      contentType: a.contentType,
      content: a.content,
      ...(a.contentId ? { cid: a.contentId } : {}),
    })),
  })
    .compile()
    .build();
  let size = built.length;
  for (let i = 0; i < built.length; i++) {
    const lineStart = i === 0 || built[i - 1] === 0x0a;
    if (built[i] === 0x0a && (i === 0 || built[i - 1] !== 0x0d)) size++;
    if (lineStart && built[i] === 0x2e) size++;
  }
  return size;
}

function message(overrides: Partial<OutgoingMessage>): OutgoingMessage {
  return {
    to: [{ address: 'ada@example.com', name: 'Ada Lovelace' }],
    cc: [{ address: 'grace@example.com', name: 'Grace Hopper ✓' }],
    bcc: [{ address: 'audit@example.com' }],
    subject: 'Weekly report ✓ für alle',
    messageId: '<size-test@portal.example>',
    ...overrides,
  };
}

const binary = (size: number) =>
  Buffer.from(Array.from({ length: size }, (_, i) => (i * 7919) % 256));

describe('estimateSmtpSize', () => {
  it('is a close upper bound when binary attachments are the bulk', async () => {
    const mail = message({
      text: 'Hello Ada, the report is attached.',
      html: '<p>Hello <b>Ada</b></p>',
      attachments: [
        {
          filename: 'report-été.pdf',
          contentType: 'application/pdf',
          content: binary(3_000_000),
        },
        {
          filename: 'logo.png',
          contentType: 'image/png',
          content: binary(20_000),
          contentId: 'logo@portal',
        },
      ],
    });
    const actual = await wireSize(mail);
    const estimate = estimateSmtpSize(mail, sender);
    expect(estimate).toBeGreaterThanOrEqual(actual);
    expect(estimate - actual).toBeLessThan(16 * 1024);
  });

  it.each([
    ['plain ASCII', 'Hello Ada.\n'.repeat(20_000)],
    ['short ASCII', 'Hello Ada, the report is ready.'],
    ['one long ASCII line', 'x'.repeat(200_000)],
    ['mostly non-Latin', 'Привет, мир. Отчёт готов.\n'.repeat(5_000)],
    ['Latin with escapes', 'a=b=c=d\t \n.dot line\n'.repeat(10_000)],
    ['mixed accents', 'Grüße aus Köln, naïve café déjà vu.\n'.repeat(5_000)],
    ['astral symbols', 'Status 🚀 ok ✓ fine\r\n'.repeat(5_000)],
  ])(
    'counts a %s body and attachment closely, never under',
    async (_what, text) => {
      for (const mail of [
        message({ text, html: `<pre>${text}</pre>` }),
        message({
          text: 'See the attachment.',
          attachments: [
            {
              filename: 'data.csv',
              contentType: 'text/csv',
              content: Buffer.from(text),
            },
            {
              filename: 'forwarded.eml',
              contentType: 'message/rfc822',
              content: Buffer.from(`Subject: fwd\r\n\r\n${text}`),
            },
          ],
        }),
      ]) {
        const actual = await wireSize(mail);
        const estimate = estimateSmtpSize(mail, sender);
        expect(estimate).toBeGreaterThanOrEqual(actual);
        expect(estimate).toBeLessThan(actual * 1.05 + 16 * 1024);
      }
    },
  );
});
