import { sendEmailRequestSchema } from './messages';

const base = { to: ['ada@example.com'], subject: 'Report', text: 'Hi' };
const attachment = (contentType: string, filename = 'r.csv') => ({
  ...base,
  attachments: [{ filename, contentType, contentBase64: 'YQ==' }],
});
const issuesOf = (request: object) =>
  sendEmailRequestSchema.safeParse(request).error?.issues.map(issue => ({
    path: issue.path.join('.'),
    message: issue.message,
  }));

const ONE_LINE =
  'Attachment contentType must be one line without control characters';
const MIME_TYPE =
  'Attachment contentType must be a MIME type such as text/csv or text/csv; charset=utf-8, in printable ASCII';
const BIDI =
  'Attachment filename must not contain bidirectional text controls (such as U+202E), which can disguise its extension';

describe('sendEmailRequestSchema', () => {
  it.each([
    'text/csv',
    'text/csv; charset=utf-8',
    'text/plain;charset="utf-8"',
    'application/vnd.ms-excel',
    'text/csv ; charset=utf-8',
    'text/csv; name="quarterly report (final).csv"',
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

  it.each([
    ['CRLF before a parameter', 'text/csv\r\n; charset=utf-8', ONE_LINE],
    ['CRLF after a semicolon', 'text/csv;\r\n charset=utf-8', ONE_LINE],
    ['an empty line', 'text/csv\r\n\r\n;a=b', ONE_LINE],
    ['LF alone', 'text/csv\n;charset=utf-8', ONE_LINE],
    ['CR alone', 'text/csv\r;charset=utf-8', ONE_LINE],
    ['a tab', 'text/csv;\tcharset=utf-8', ONE_LINE],
    ['NUL in a quoted value', 'text/plain; name="a\u0000b"', ONE_LINE],
    ['ESC in a quoted value', 'text/plain; name="a\u001bb"', ONE_LINE],
    ['NEL (C1) in a quoted value', 'text/plain; name="a\u0085b"', ONE_LINE],
    ['CSI (C1) in a quoted value', 'text/plain; name="a\u009bb"', ONE_LINE],
    ['DEL in a quoted value', 'text/plain; name="a\u007fb"', ONE_LINE],
    ['a line separator', 'text/plain; name="a\u2028b"', ONE_LINE],
    ['U+202E in a quoted value', 'text/plain; name="a\u202eb"', MIME_TYPE],
    ['non-ASCII in a quoted value', 'text/plain; name="ü"', MIME_TYPE],
    ['a quote in a quoted value', 'text/plain; name="a"b"', MIME_TYPE],
  ])('refuses a content type with %s', (_what, contentType, message) => {
    expect(issuesOf(attachment(contentType))).toEqual([
      { path: 'attachments.0.contentType', message },
    ]);
  });

  it.each([
    ['U+061C arabic letter mark', '\u061c'],
    ['U+200E left-to-right mark', '\u200e'],
    ['U+200F right-to-left mark', '\u200f'],
    ['U+202A left-to-right embedding', '\u202a'],
    ['U+202B right-to-left embedding', '\u202b'],
    ['U+202C pop directional formatting', '\u202c'],
    ['U+202D left-to-right override', '\u202d'],
    ['U+202E right-to-left override', '\u202e'],
    ['U+2066 left-to-right isolate', '\u2066'],
    ['U+2067 right-to-left isolate', '\u2067'],
    ['U+2068 first strong isolate', '\u2068'],
    ['U+2069 pop directional isolate', '\u2069'],
  ])('refuses a filename with %s', (_what, control) => {
    // Shown as invoiceexe.pdf once U+202E reverses what follows it.
    expect(
      issuesOf(attachment('application/pdf', `invoice${control}fdp.exe`)),
    ).toEqual([{ path: 'attachments.0.filename', message: BIDI }]);
  });

  it.each(['Bericht für März.csv', 'تقرير.csv', 'レポート.pdf'])(
    'accepts the filename %s in any script',
    filename => {
      expect(issuesOf(attachment('text/csv', filename))).toBeUndefined();
    },
  );

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

  it.each([
    'YQ',
    'YQ=',
    'Y===',
    '====',
    'YQ==YQ==',
    'YW\nJj',
    'YW-j',
    'YW_j',
    'YWJ\u00e9',
    'YW\u0100j',
  ])('refuses the base64 %j', value => {
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
  });

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

  describe('unsubscribe', () => {
    const unsubscribe = {
      list: 'notification:plugin:catalog',
      description: 'Notifications from the catalog',
    };
    const ONE_RECIPIENT =
      'unsubscribe needs exactly one recipient, in to: its link unsubscribes that one address';

    it('accepts a list and a description for one recipient', () => {
      expect(issuesOf({ ...base, unsubscribe })).toBeUndefined();
      expect(
        issuesOf({ ...base, unsubscribe: { list: unsubscribe.list } }),
      ).toBeUndefined();
    });

    it.each([
      ['two addresses in to', { to: ['ada@example.com', 'bob@example.com'] }],
      ['a cc', { cc: ['bob@example.com'] }],
      ['a bcc', { bcc: ['bob@example.com'] }],
    ])('refuses it with %s', (_name, recipients) => {
      expect(issuesOf({ ...base, ...recipients, unsubscribe })).toEqual([
        { path: 'unsubscribe', message: ONE_RECIPIENT },
      ]);
    });

    it.each([
      [{ list: '' }, 'unsubscribe.list is required'],
      [
        { list: 'x'.repeat(201) },
        'unsubscribe.list must be at most 200 characters',
      ],
      [
        { list: 'a\r\nList-Unsubscribe: <https://evil.example>' },
        'unsubscribe.list must be one line without control characters',
      ],
      [
        { list: 'a', description: 'Hi\nthere' },
        'unsubscribe.description must be one line without control characters',
      ],
      [{ list: 'a', url: 'https://evil.example' }, 'Unrecognized key: "url"'],
    ])('refuses %j', (value, message) => {
      expect(
        issuesOf({ ...base, unsubscribe: value })?.map(i => i.message),
      ).toEqual([message]);
    });
  });
});
