import { sendEmailRequestSchema } from '@email-provider/backstage-plugin-email-provider-common';
import { attachment } from './attachment';

describe('attachment', () => {
  it('encodes a string as UTF-8 base64', () => {
    expect(attachment('café.csv', 'text/csv', 'naïve,1\n')).toEqual({
      filename: 'café.csv',
      contentType: 'text/csv',
      contentBase64: Buffer.from('naïve,1\n', 'utf8').toString('base64'),
    });
  });

  it('encodes bytes as they are', () => {
    const bytes = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x00, 0xff]);
    expect(attachment('logo.png', 'image/png', bytes).contentBase64).toBe(
      'iVBORwD/',
    );
  });

  it('encodes only the viewed part of a Uint8Array', () => {
    const whole = new Uint8Array([1, 2, 3, 4, 5]);
    expect(
      attachment('part.bin', 'application/octet-stream', whole.subarray(1, 4))
        .contentBase64,
    ).toBe(Buffer.from([2, 3, 4]).toString('base64'));
  });

  it('adds a content ID only when given', () => {
    expect(attachment('a.png', 'image/png', '', { contentId: 'logo' })).toEqual(
      {
        filename: 'a.png',
        contentType: 'image/png',
        contentBase64: '',
        contentId: 'logo',
      },
    );
    expect(attachment('a.png', 'image/png', '')).not.toHaveProperty(
      'contentId',
    );
  });

  it('produces what the request schema accepts', () => {
    const result = sendEmailRequestSchema.safeParse({
      to: ['ada@example.com'],
      subject: 'Files',
      text: 'Attached',
      attachments: [
        attachment('report.csv', 'text/csv', 'a,b\n1,2\n'),
        attachment(
          'big.bin',
          'application/octet-stream',
          Buffer.alloc(100_001, 7),
        ),
        attachment('logo.png', 'image/png', Buffer.from([1]), {
          contentId: 'logo@acme',
        }),
      ],
    });
    expect(result.success).toBe(true);
  });
});
