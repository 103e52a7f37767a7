import { sendEmailRequestSchema } from './messages';

const base = { to: ['ada@example.com'], subject: 'Report', text: 'Hi' };
const attachment = (contentType: string) => ({
  ...base,
  attachments: [{ filename: 'r.csv', contentType, contentBase64: 'YQ==' }],
});

describe('sendEmailRequestSchema', () => {
  it.each([
    'text/csv',
    'text/csv; charset=utf-8',
    'text/plain;charset="utf-8"',
    'application/vnd.ms-excel',
  ])('accepts the content type %s', contentType => {
    expect(
      sendEmailRequestSchema.safeParse(attachment(contentType)).success,
    ).toBe(true);
  });

  it.each([
    'text',
    'text/csv\r\nBcc: x@example.com',
    'text/csv; charset=utf-8\n',
    '../x/y',
  ])('refuses the content type %j', contentType => {
    expect(
      sendEmailRequestSchema.safeParse(attachment(contentType)).success,
    ).toBe(false);
  });

  it.each(['', 'YQ==', 'YWI=', 'YWJj'])('accepts the base64 %j', value => {
    expect(
      sendEmailRequestSchema.safeParse({
        ...base,
        attachments: [
          {
            filename: 'a.bin',
            contentType: 'text/plain',
            contentBase64: value,
          },
        ],
      }).success,
    ).toBe(true);
  });

  it.each(['YQ', 'YQ=', 'Y===', 'YQ==YQ==', 'YW\nJj', 'YW-j', 'YW_j'])(
    'refuses the base64 %j',
    value => {
      expect(
        sendEmailRequestSchema.safeParse({
          ...base,
          attachments: [
            {
              filename: 'a.bin',
              contentType: 'text/plain',
              contentBase64: value,
            },
          ],
        }).success,
      ).toBe(false);
    },
  );

  it('checks the base64 of a large attachment without running out of stack', () => {
    const contentBase64 = Buffer.alloc(30 * 1024 * 1024, 1).toString('base64');
    expect(
      sendEmailRequestSchema.safeParse({
        ...base,
        attachments: [
          { filename: 'a.bin', contentType: 'text/plain', contentBase64 },
        ],
      }).success,
    ).toBe(true);
  });

  it('accepts a single reply-to address or a list', () => {
    expect(
      sendEmailRequestSchema.safeParse({ ...base, replyTo: 'a@example.com' })
        .success,
    ).toBe(true);
    expect(
      sendEmailRequestSchema.safeParse({ ...base, replyTo: ['a@example.com'] })
        .success,
    ).toBe(true);
    expect(
      sendEmailRequestSchema.safeParse({
        ...base,
        replyTo: 'A <a@example.com>',
      }).success,
    ).toBe(false);
  });
});
