import { randomBytes } from 'node:crypto';
import { unusedPort } from '@internal/mail-test-servers';
import { failureOf } from '../__testUtils__/providerOutcomes';
import {
  SHORT_TIMEOUTS,
  smtpProviderTestServers,
} from '../__testUtils__/smtpProviderTestServers';
import { DestinationGuard } from '../providers/DestinationGuard';
import { readStoredRequest, toOutgoingMessage } from './outboxMessages';

const FROM = 'reports@example.com';
const PASSWORD = 'S3cret-smtp-password';
const servers = smtpProviderTestServers();

const report = randomBytes(300_000);
const logo = Buffer.from('png-bytes');
const payload = JSON.stringify({
  to: ['ada@example.com'],
  subject: 'Weekly report',
  text: 'See the attachment.',
  attachments: [
    {
      filename: 'report.bin',
      contentType: 'application/octet-stream',
      contentBase64: report.toString('base64'),
    },
    {
      filename: 'logo.png',
      contentType: 'image/png',
      contentBase64: logo.toString('base64'),
      contentId: 'logo@portal',
    },
  ],
});

describe('readStoredRequest', () => {
  it('decodes each attachment of the stored request, and keeps the rest as it was', () => {
    const request = readStoredRequest(payload);
    expect(request).toEqual({
      to: ['ada@example.com'],
      subject: 'Weekly report',
      text: 'See the attachment.',
      attachments: [
        {
          filename: 'report.bin',
          contentType: 'application/octet-stream',
          content: report,
        },
        {
          filename: 'logo.png',
          contentType: 'image/png',
          content: logo,
          contentId: 'logo@portal',
        },
      ],
    });
    expect(
      readStoredRequest(
        JSON.stringify({ to: ['a@example.com'], subject: 's' }),
      ),
    ).toEqual({ to: ['a@example.com'], subject: 's' });
  });
});

describe('toOutgoingMessage', () => {
  it('hands the attachments over to the provider, with the Message-ID and unsubscribe link', () => {
    const request = readStoredRequest(payload);
    const message = toOutgoingMessage(
      request,
      '<id@example.com>',
      'https://portal.example/unsubscribe/t',
    );
    expect(message).toMatchObject({
      to: [{ address: 'ada@example.com' }],
      messageId: '<id@example.com>',
      listUnsubscribeUrl: 'https://portal.example/unsubscribe/t',
      handOverAttachments: true,
    });
    expect(message.attachments).toBe(request.attachments);
  });

  it('goes out byte for byte through the SMTP thread on a later attempt, after an attempt took its contents', async () => {
    const port = await unusedPort();
    const smtp = servers.provider({
      settings: {
        host: 'localhost',
        port,
        security: 'starttls',
        from: FROM,
        usernameSameAsFrom: true,
      },
      password: PASSWORD,
      destinations: new DestinationGuard(),
      timeouts: SHORT_TIMEOUTS,
      pool: { maxConnections: 2 },
    });
    const attempt = () =>
      toOutgoingMessage(readStoredRequest(payload), '<id@a.test>');

    // Nothing listens yet: the first attempt fails after its contents crossed to the thread.
    const first = attempt();
    expect((await failureOf(smtp.send(first))).code).toBe('connection-refused');
    expect(first.attachments?.[0].content.length).toBe(0);
    const sink = await servers.startSink({
      port,
      credentials: { username: FROM, password: PASSWORD },
    });
    await smtp.send(attempt());

    const [mail] = sink.received;
    expect(mail.parsed.messageId).toBe('<id@a.test>');
    const byName = (name: string) =>
      mail.parsed.attachments.find(a => a.filename === name)!;
    expect(byName('report.bin').content.equals(report)).toBe(true);
    expect(byName('logo.png').content.equals(logo)).toBe(true);
    expect(byName('logo.png').contentId).toBe('<logo@portal>');
  });
});
