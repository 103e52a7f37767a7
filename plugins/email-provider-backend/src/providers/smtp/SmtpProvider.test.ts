import type { SmtpSecurity } from '@internal/plugin-email-provider-common';
import {
  createTestPki,
  TestPki,
  trustTestCa,
} from '../../__testUtils__/certificates';
import {
  SmtpSink,
  SmtpSinkOptions,
  startMisbehavingServer,
  unusedPort,
} from '../../__testUtils__/SmtpSink';
import { DestinationGuard } from '../DestinationGuard';
import { ProviderError } from '../ProviderError';
import { OutgoingMessage } from '../types';
import { SmtpPoolThread } from './SmtpPoolThread';
import { SmtpProvider, SmtpTimeouts } from './SmtpProvider';

jest.setTimeout(30_000);

const PASSWORD = 'S3cret-smtp-password';
const FROM = 'reports@example.com';

let pki: TestPki;
let untrust: () => void;
const sinks: SmtpSink[] = [];

beforeAll(async () => {
  pki = await createTestPki();
  untrust = trustTestCa(pki);
});

afterAll(() => untrust());

const providers: SmtpProvider[] = [];
/** Set by the suites that run once sending one connection at a time and once pooled. */
let pool: { maxConnections: number } | undefined;

afterEach(async () => {
  await Promise.all(providers.splice(0).map(p => p.close()));
  await Promise.all(sinks.splice(0).map(sink => sink.close()));
});

async function startSink(options: Partial<SmtpSinkOptions> = {}) {
  const started = await SmtpSink.start({
    certificate: pki.localhost,
    credentials: { username: FROM, password: PASSWORD },
    ...options,
  });
  sinks.push(started);
  return started;
}

function provider(
  port: number,
  security: SmtpSecurity,
  overrides: {
    password?: string;
    host?: string;
    timeouts?: Partial<SmtpTimeouts>;
    username?: string;
  } = {},
) {
  const created = new SmtpProvider({
    pool,
    settings: {
      host: overrides.host ?? 'localhost',
      port,
      security,
      from: FROM,
      fromName: 'ACME Portal',
      usernameSameAsFrom: overrides.username === undefined,
      username: overrides.username,
    },
    password: overrides.password ?? PASSWORD,
    destinations: new DestinationGuard(),
    timeouts: {
      connectMs: 2000,
      greetingMs: 2000,
      socketMs: 3000,
      deadlineMs: 5000,
      ...overrides.timeouts,
    },
  });
  providers.push(created);
  return created;
}

const attachment = Buffer.from(
  Array.from({ length: 70_000 }, (_, i) => i % 251),
);

function message(overrides: Partial<OutgoingMessage> = {}): OutgoingMessage {
  return {
    to: [{ address: 'ada@example.com', name: 'Ada Lovelace' }],
    cc: [{ address: 'grace@example.com' }],
    bcc: [{ address: 'audit@example.com' }],
    subject: 'Weekly report ✓',
    text: 'Hello Ada',
    html: '<p>Hello <b>Ada</b> <img src="cid:logo@portal"></p>',
    attachments: [
      {
        filename: 'report.bin',
        contentType: 'application/octet-stream',
        content: attachment,
      },
      {
        filename: 'logo.png',
        contentType: 'image/png',
        content: Buffer.from('png-bytes'),
        contentId: 'logo@portal',
      },
    ],
    messageId: '<0b9e1c1a-test@portal.example>',
    ...overrides,
  };
}

async function failureOf(promise: Promise<unknown>): Promise<ProviderError> {
  const error = await promise.then(
    () => undefined,
    e => e,
  );
  expect(error).toBeInstanceOf(ProviderError);
  return error;
}

describe('SmtpProvider', () => {
  it.each([
    ['starttls', {}],
    ['tls', { implicitTls: true }],
    ['none', { withoutStartTls: true }],
  ] as const)(
    'delivers with security %s, byte for byte',
    async (security, options) => {
      const server = await startSink(options);
      const smtp = provider(server.port, security);
      const result = await smtp.send(message());
      await smtp.close();

      expect(result.messageId).toBe('<0b9e1c1a-test@portal.example>');
      expect(result.providerResponse).toMatch(/^250/);
      expect(server.received).toHaveLength(1);
      const [mail] = server.received;
      expect(mail.secure).toBe(security !== 'none');
      expect(mail.user).toBe(FROM);
      expect(mail.envelope).toEqual({
        from: FROM,
        to: ['ada@example.com', 'grace@example.com', 'audit@example.com'],
      });
      expect(mail.parsed.from?.value).toEqual([
        { address: FROM, name: 'ACME Portal' },
      ]);
      expect(mail.parsed.subject).toBe('Weekly report ✓');
      expect(mail.parsed.text?.trim()).toBe('Hello Ada');
      expect(mail.parsed.html).toContain('<b>Ada</b>');
      expect(mail.parsed.messageId).toBe('<0b9e1c1a-test@portal.example>');
      expect(mail.parsed.headers.get('bcc')).toBeUndefined();
      const byName = (name: string) =>
        mail.parsed.attachments.find(a => a.filename === name)!;
      const report = byName('report.bin');
      const logo = byName('logo.png');
      expect(report.content.equals(attachment)).toBe(true);
      expect(logo.contentId).toBe('<logo@portal>');
      expect(logo.content.toString()).toBe('png-bytes');
    },
  );

  it('signs in with a separate username when it is not the sender', async () => {
    const server = await startSink({
      credentials: { username: 'relay-user', password: PASSWORD },
    });
    const smtp = provider(server.port, 'starttls', { username: 'relay-user' });
    await smtp.send(message());
    await smtp.close();
    expect(server.received[0].user).toBe('relay-user');
    expect(server.received[0].parsed.from?.value[0].address).toBe(FROM);
  });

  it('reuses pooled connections for bulk delivery', async () => {
    const server = await startSink();
    const smtp = new SmtpProvider({
      settings: {
        host: 'localhost',
        port: server.port,
        security: 'starttls',
        from: FROM,
        usernameSameAsFrom: true,
      },
      password: PASSWORD,
      destinations: new DestinationGuard(),
      pool: { maxConnections: 2 },
    });
    await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        smtp.send(
          message({ messageId: `<bulk-${i}@portal.example>`, attachments: [] }),
        ),
      ),
    );
    await smtp.close();
    expect(server.received).toHaveLength(10);
    expect(server.authAttempts.length).toBeLessThanOrEqual(2);
  });

  it('sends pooled mail from a thread of its own, and replaces the thread if it stops', async () => {
    const server = await startSink();
    pool = { maxConnections: 2 };
    try {
      const smtp = provider(server.port, 'starttls');
      await smtp.send(message({ messageId: '<first@portal.example>' }));
      const thread = (smtp as unknown as { transport: unknown }).transport;
      expect(thread).toBeInstanceOf(SmtpPoolThread);
      (thread as SmtpPoolThread).close();
      await new Promise(resolve => setTimeout(resolve, 100));
      await smtp.send(message({ messageId: '<second@portal.example>' }));
      expect(server.received.map(r => r.parsed.messageId)).toEqual([
        '<first@portal.example>',
        '<second@portal.example>',
      ]);
      // The attachment crossed to the thread and out byte for byte.
      expect(
        server.received[1].parsed.attachments.find(
          a => a.filename === 'report.bin',
        )?.content,
      ).toEqual(attachment);
    } finally {
      pool = undefined;
    }
  });

  describe.each([
    ['one connection at a time', undefined],
    ['pooled, on a thread of its own', { maxConnections: 2 }],
  ])('failures, each classified with what to fix (%s)', (_mode, mode) => {
    beforeEach(() => {
      pool = mode;
    });
    afterEach(() => {
      pool = undefined;
    });

    it('wrong password → auth-failed', async () => {
      const server = await startSink();
      const error = await failureOf(
        provider(server.port, 'starttls', { password: 'wrong-password' }).send(
          message(),
        ),
      );
      expect(error.code).toBe('auth-failed');
      expect(error.message).toMatch(/rejected the username or password \(535/);
      expect(error.transient).toBe(false);
      expect(JSON.stringify(error.toFailure())).not.toContain('wrong-password');
    });

    it('SSL/TLS against a StartTLS port → tls-mismatch, fast', async () => {
      const server = await startSink();
      const started = Date.now();
      const error = await failureOf(
        provider(server.port, 'tls').send(message()),
      );
      expect(error.code).toBe('tls-mismatch');
      expect(error.message).toMatch(/choose StartTLS/);
      expect(Date.now() - started).toBeLessThan(3000);
    });

    it('StartTLS against an SSL/TLS port → tls-mismatch', async () => {
      const server = await startSink({ implicitTls: true });
      const error = await failureOf(
        provider(server.port, 'starttls').send(message()),
      );
      expect(error.code).toBe('tls-mismatch');
      expect(error.message).toMatch(
        /expects SSL\/TLS from the start.*choose SSL\/TLS/,
      );
      expect(server.authAttempts).toEqual([]);
    });

    it('StartTLS chosen but not offered → tls-required, nothing sent in clear', async () => {
      const server = await startSink({ withoutStartTls: true });
      const error = await failureOf(
        provider(server.port, 'starttls').send(message()),
      );
      expect(error.code).toBe('tls-required');
      expect(error.message).toMatch(
        /does not offer StartTLS, so nothing was sent/,
      );
      expect(server.authAttempts).toEqual([]);
      expect(server.received).toEqual([]);
    });

    it.each([
      ['self-signed', 'untrusted', /self-signed|does not trust/],
      ['expired', 'expired', /has expired/],
      ['for another name', 'wrongName', /issued for another name/],
    ] as const)(
      'a %s certificate → certificate-invalid',
      async (_what, cert, sentence) => {
        const server = await startSink({
          implicitTls: true,
          certificate: pki[cert],
        });
        const error = await failureOf(
          provider(server.port, 'tls').send(message()),
        );
        expect(error.code).toBe('certificate-invalid');
        expect(error.message).toMatch(sentence);
        expect(server.authAttempts).toEqual([]);
      },
    );

    it('a refused port → connection-refused', async () => {
      const error = await failureOf(
        provider(await unusedPort(), 'starttls').send(message()),
      );
      expect(error.code).toBe('connection-refused');
      expect(error.transient).toBe(true);
    });

    it('an unknown host → host-not-found', async () => {
      const error = await failureOf(
        provider(25, 'starttls', { host: 'no-such-host.invalid' }).send(
          message(),
        ),
      );
      expect(error.code).toBe('host-not-found');
      expect(error.message).toMatch(/no-such-host\.invalid does not resolve/);
    });

    it('a server that never greets → timeout, within the greeting timeout', async () => {
      const silent = await startMisbehavingServer('silent');
      const started = Date.now();
      try {
        const error = await failureOf(
          provider(silent.port, 'starttls').send(message()),
        );
        expect(error.code).toBe('timeout');
        expect(error.message).toMatch(/sent no SMTP greeting/);
        expect(Date.now() - started).toBeLessThan(5000);
      } finally {
        await silent.close();
      }
    });

    it('a server that drips a byte at a time → timeout at the deadline', async () => {
      const drip = await startMisbehavingServer('drip');
      const started = Date.now();
      try {
        const error = await failureOf(
          provider(drip.port, 'starttls', {
            timeouts: {
              greetingMs: 60_000,
              socketMs: 60_000,
              deadlineMs: 2000,
            },
          }).send(message()),
        );
        expect(error.code).toBe('timeout');
        expect(Date.now() - started).toBeLessThan(4000);
      } finally {
        await drip.close();
      }
    });

    it('a rejected recipient → recipient-rejected, permanent', async () => {
      const server = await startSink({ rejectRecipients: ['ada@example.com'] });
      const error = await failureOf(
        provider(server.port, 'starttls').send(message({ cc: [], bcc: [] })),
      );
      expect(error.code).toBe('recipient-rejected');
      expect(error.transient).toBe(false);
      expect(error.providerReply).toMatch(/550 5\.1\.1/);
    });

    it('a rejected sender → sender-rejected', async () => {
      const server = await startSink({ rejectSenders: [FROM] });
      const error = await failureOf(
        provider(server.port, 'starttls').send(message()),
      );
      expect(error.code).toBe('sender-rejected');
    });

    it("a message over the server's SIZE → message-too-large", async () => {
      const server = await startSink({ maxSize: 10_000 });
      const error = await failureOf(
        provider(server.port, 'starttls').send(message()),
      );
      expect(error.code).toBe('message-too-large');
      expect(server.received).toEqual([]);
    });

    it('a link-local address → destination-not-allowed, no connection', async () => {
      const error = await failureOf(
        provider(25, 'starttls', { host: '169.254.169.254' }).send(message()),
      );
      expect(error.code).toBe('destination-not-allowed');
    });
  });

  describe('verify', () => {
    it.each([
      ['starttls', {}, ['dns', 'connect', 'smtp', 'tls', 'login']],
      [
        'tls',
        { implicitTls: true },
        ['dns', 'connect', 'tls', 'smtp', 'login'],
      ],
      ['none', { withoutStartTls: true }, ['dns', 'connect', 'smtp', 'login']],
    ] as const)(
      'checks a %s server step by step and sends nothing',
      async (security, options, names) => {
        const server = await startSink({
          ...options,
          maxSize: 25 * 1024 * 1024,
        });
        const steps = await provider(server.port, security).verify();
        expect(steps.map(s => s.name)).toEqual(names);
        expect(steps.every(s => s.ok)).toBe(true);
        const tlsDetails = steps
          .filter(s => s.name === 'tls')
          .map(s => s.detail);
        expect(tlsDetails).toHaveLength(security === 'none' ? 0 : 1);
        for (const detail of tlsDetails) {
          expect(detail).toMatch(
            /certificate for localhost, issued by .*valid until .*matches localhost/,
          );
        }
        expect(steps.find(s => s.name === 'smtp')?.detail).toMatch(
          /AUTH LOGIN PLAIN, SIZE 25 MB/,
        );
        expect(steps.find(s => s.name === 'login')?.detail).toBe(
          `signed in as ${FROM}`,
        );
        expect(server.received).toEqual([]);
      },
    );

    it('stops at the failing step with its fix', async () => {
      const server = await startSink();
      const steps = await provider(server.port, 'starttls', {
        password: 'nope',
      }).verify();
      expect(steps.map(s => [s.name, s.ok])).toEqual([
        ['dns', true],
        ['connect', true],
        ['smtp', true],
        ['tls', true],
        ['login', false],
      ]);
      expect(steps[4].failure?.code).toBe('auth-failed');

      const refused = await provider(await unusedPort(), 'starttls').verify();
      expect(refused.map(s => [s.name, s.ok, s.failure?.code])).toEqual([
        ['dns', true, undefined],
        ['connect', false, 'connection-refused'],
      ]);

      const untrusted = await startSink({
        implicitTls: true,
        certificate: pki.untrusted,
      });
      const tlsSteps = await provider(untrusted.port, 'tls').verify();
      expect(tlsSteps.at(-1)).toMatchObject({
        name: 'tls',
        ok: false,
        failure: { code: 'certificate-invalid' },
      });
    });
  });
});
