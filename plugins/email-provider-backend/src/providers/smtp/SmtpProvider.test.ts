import type { SmtpSecurity } from '@email-provider/backstage-plugin-email-provider-common';
import http from 'node:http';
import net, { AddressInfo } from 'node:net';
import {
  SmtpSinkOptions,
  startMisbehavingServer,
  unusedPort,
} from '@internal/mail-test-servers';
import { DestinationGuard } from '../DestinationGuard';
import { OutgoingMessage } from '../types';
import { classifySmtpError } from './classifySmtpError';
import { SmtpPoolThread } from './SmtpPoolThread';
import type { SmtpTimeouts } from './SmtpConnection';
import { SmtpProvider } from './SmtpProvider';
import {
  SHORT_TIMEOUTS,
  smtpProviderTestServers,
} from '../../__testUtils__/smtpProviderTestServers';
import { failedStep, failureOf } from '../../__testUtils__/providerOutcomes';
import { smtpRefusal } from '../../__testUtils__/smtpRefusal';

jest.setTimeout(30_000);

const PASSWORD = 'S3cret-smtp-password';
const FROM = 'reports@example.com';

const servers = smtpProviderTestServers();
/** Set by the suites that run once sending one connection at a time and once pooled. */
let pool: { maxConnections: number } | undefined;

const startSink = (options: Partial<SmtpSinkOptions> = {}) =>
  servers.startSink({
    credentials: { username: FROM, password: PASSWORD },
    ...options,
  });

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
  return servers.provider({
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
      ...SHORT_TIMEOUTS,
      ...overrides.timeouts,
    },
  });
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

/** A message with one binary attachment of `bytes`, base64 on the wire (4/3 of it). */
function messageWithAttachment(bytes: number): OutgoingMessage {
  return message({
    cc: [],
    bcc: [],
    attachments: [
      {
        filename: 'export.bin',
        contentType: 'application/octet-stream',
        content: Buffer.alloc(bytes, 0x5a),
      },
    ],
  });
}

/** Settles like `promise`, or fails the test once `ms` have passed (the old code hung). */
function within<T>(ms: number, promise: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    promise,
    new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`no answer within ${ms} ms`)),
        ms,
      );
    }),
  ]).finally(() => clearTimeout(timer));
}

/**
 * A server that fails an SMTP handshake one way: `http` (a web server, which waits for a
 * request and so never greets), or scripted line by line. Keeps count of open connections, to
 * show the client closed its own.
 */
async function startBrokenServer(
  behaviour:
    | 'http'
    | {
        greeting?: string;
        /** The answer to each line the client sends; `drip` never ends its reply. */
        answer?: (line: string) => string | 'drip' | undefined;
      },
) {
  const open = new Set<net.Socket>();
  const timers = new Set<NodeJS.Timeout>();
  const server =
    behaviour === 'http'
      ? http.createServer((_req, res) => res.end('not SMTP'))
      : net.createServer(socket => {
          if (behaviour.greeting) socket.write(behaviour.greeting);
          let buffered = '';
          socket.on('data', chunk => {
            buffered += chunk.toString('latin1');
            for (
              let end = buffered.indexOf('\r\n');
              end >= 0;
              end = buffered.indexOf('\r\n')
            ) {
              const reply = behaviour.answer?.(buffered.slice(0, end));
              buffered = buffered.slice(end + 2);
              if (reply === 'drip') {
                socket.write('250-');
                const timer = setInterval(() => socket.write('x'), 100);
                timers.add(timer);
                socket.on('close', () => clearInterval(timer));
              } else if (reply) {
                socket.write(reply);
              }
            }
          });
        });
  server.on('connection', (socket: net.Socket) => {
    open.add(socket);
    socket.on('error', () => undefined);
    socket.on('close', () => open.delete(socket));
  });
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    async closedByClient(): Promise<boolean> {
      for (let i = 0; i < 20 && open.size > 0; i++) {
        await new Promise(resolve => setTimeout(resolve, 50));
      }
      return open.size === 0;
    },
    async close() {
      timers.forEach(clearInterval);
      open.forEach(socket => socket.destroy());
      await new Promise(resolve => server.close(resolve));
    },
  };
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

  it('keeps a pooled connection for more than 100 messages', async () => {
    const server = await startSink();
    pool = { maxConnections: 2 };
    try {
      const smtp = provider(server.port, 'starttls');
      // One at a time, so the pool needs no second connection.
      for (let i = 0; i < 150; i++) {
        await smtp.send(
          message({
            messageId: `<steady-${i}@portal.example>`,
            attachments: [],
          }),
        );
      }
      await smtp.close();
      expect(server.received).toHaveLength(150);
      expect(server.authAttempts).toHaveLength(1);
    } finally {
      pool = undefined;
    }
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

  it('moves handed-over attachments to the pooled thread without a copy, byte for byte', async () => {
    const server = await startSink();
    pool = { maxConnections: 2 };
    try {
      const smtp = provider(server.port, 'starttls');
      // Its own memory, so it can move; a Buffer this small comes from Node's shared pool and
      // is copied instead.
      const report = Buffer.from(attachment);
      const logo = Buffer.from('png-bytes');
      await smtp.send(
        message({
          messageId: '<handed-over@portal.example>',
          handOverAttachments: true,
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
        }),
      );
      expect(report.length).toBe(0);
      expect(logo.toString()).toBe('png-bytes');
      // Without the hand-over the caller's Buffers are copied and stay as they were.
      await smtp.send(message({ messageId: '<copied@portal.example>' }));
      expect(attachment.length).toBe(70_000);

      for (const messageId of [
        '<handed-over@portal.example>',
        '<copied@portal.example>',
      ]) {
        const mail = server.received.find(
          m => m.parsed.messageId === messageId,
        )!;
        const byName = (name: string) =>
          mail.parsed.attachments.find(a => a.filename === name)!;
        expect(byName('report.bin').content.equals(attachment)).toBe(true);
        expect(byName('logo.png').content.toString()).toBe('png-bytes');
        expect(byName('logo.png').contentId).toBe('<logo@portal>');
      }
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
          certificate: servers.pki[cert],
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

    it('Security None, sign-in only after StartTLS (Postfix) → relay-denied, no AUTH sent, says to choose StartTLS', async () => {
      const server = await startSink({
        authOnlyAfterTls: true,
        relayOnlyWhenSignedIn: true,
      });
      const error = await failureOf(
        provider(server.port, 'none').send(message()),
      );
      expect(error.code).toBe('relay-denied');
      expect(error.message).toMatch(
        /^This server offers sign-in only after StartTLS: choose StartTLS\..*\(554 5\.7\.1\)/,
      );
      expect(error.transient).toBe(false);
      expect(server.commands).toContain('RCPT');
      expect(server.commands).not.toContain('AUTH');
      expect(server.received).toEqual([]);

      // With StartTLS, as the sentence says, the same server signs in and takes the message.
      await provider(server.port, 'starttls').send(message());
      expect(server.received).toHaveLength(1);
      expect(server.received[0]).toMatchObject({ user: FROM, secure: true });
    });

    it("a message over the server's announced SIZE is refused before DATA, naming the limit; one under it goes out", async () => {
      // Postfix's default limit, announced as `SIZE 10240000`.
      const server = await startSink({ maxSize: 10_240_000 });
      const smtp = provider(server.port, 'starttls', {
        timeouts: { deadlineMs: 20_000, socketMs: 10_000 },
      });
      // 9 MB of attachment is about 12.3 MB on the wire.
      const error = await failureOf(
        smtp.send(messageWithAttachment(9_000_000)),
      );
      expect(error.code).toBe('message-too-large');
      expect(error.message).toBe(
        'The message is larger than the 10 MB the server accepts, so it was not sent; send smaller attachments.',
      );
      expect(error.transient).toBe(false);
      expect(server.commands).not.toContain('DATA');

      // About 6 MB (8 MB on the wire) and about 7.3 MB (10.0 MB on the wire, just under the
      // limit: the estimate is close) both go out.
      await smtp.send(messageWithAttachment(6_000_000));
      await smtp.send(messageWithAttachment(7_300_000));
      expect(server.received).toHaveLength(2);
      expect(server.received[1].raw.length).toBeGreaterThan(9_900_000);
      expect(server.received[1].raw.length).toBeLessThan(10_240_000);
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

    it('never sends the password to a server that offers no AUTH: with Security None and sign-in only after StartTLS, says to choose StartTLS', async () => {
      const server = await startSink({
        authOnlyAfterTls: true,
        relayOnlyWhenSignedIn: true,
      });
      const steps = await within(
        10_000,
        provider(server.port, 'none').verify(),
      );
      expect(steps.map(s => [s.name, s.ok, s.failure?.code])).toEqual([
        ['dns', true, undefined],
        ['connect', true, undefined],
        ['smtp', true, undefined],
        ['login', false, 'auth-not-offered'],
      ]);
      expect(steps[2].detail).toMatch(/^no TLS, no AUTH offered/);
      expect(steps[3].failure?.message).toMatch(
        /^This server offers sign-in only after StartTLS: choose StartTLS\./,
      );
      expect(steps[3].failure?.params).toEqual({ reason: 'after-starttls' });
      expect(server.commands.filter(command => command !== 'QUIT')).toEqual([
        'EHLO',
      ]);
      expect(server.authAttempts).toEqual([]);
    });

    // Bounds of these tests' provider: connect and greeting 1 s, socket 1.5 s; the deadline
    // (20 s) is far, so each case shows its own step's bound.
    const stepTimeouts = {
      connectMs: 1000,
      greetingMs: 1000,
      socketMs: 1500,
      deadlineMs: 20_000,
    };
    const drip = (line: string) =>
      /^EHLO /.test(line) ? ('drip' as const) : undefined;
    it.each([
      [
        'an HTTP port (no greeting)',
        'starttls',
        'http',
        ['smtp', 'timeout', /sent no SMTP greeting/],
        // the greeting timeout, and the probe for TLS that classifying it makes
        1000 + 1500,
      ],
      [
        'an error greeting',
        'starttls',
        { greeting: '554 5.3.2 No SMTP service here\r\n' },
        ['smtp', 'provider-unavailable', /turned the connection away \(554/],
        0,
      ],
      [
        'an EHLO reply that never ends',
        'starttls',
        { greeting: '220 broken.example ESMTP\r\n', answer: drip },
        ['smtp', 'timeout', /did not finish the SMTP greeting and EHLO/],
        1000 + 1500,
      ],
      [
        'a TLS handshake that never starts',
        'tls',
        {},
        ['tls', 'timeout', /did not complete the TLS handshake/],
        1000,
      ],
      [
        'a sign-in that is never answered',
        'none',
        {
          greeting: '220 broken.example ESMTP\r\n',
          answer: (line: string) =>
            /^EHLO /.test(line)
              ? '250-broken.example\r\n250 AUTH PLAIN LOGIN\r\n'
              : undefined,
        },
        [
          'login',
          'timeout',
          /did not answer in time|did not answer the sign-in/,
        ],
        1500,
      ],
    ] as const)(
      '%s ends at its step, classified, within its bound, and closes the connection',
      async (_what, security, behaviour, [name, code, sentence], boundMs) => {
        const server = await startBrokenServer(
          behaviour as Parameters<typeof startBrokenServer>[0],
        );
        try {
          const started = Date.now();
          const steps = await within(
            10_000,
            provider(server.port, security, {
              timeouts: stepTimeouts,
            }).verify(),
          );
          expect(Date.now() - started).toBeLessThan(boundMs + 1500);
          expect(steps.at(-1)).toMatchObject(
            failedStep(name, {
              code,
              message: expect.stringMatching(sentence),
            }),
          );
          expect(await server.closedByClient()).toBe(true);
        } finally {
          await server.close();
        }
      },
    );

    it.each([
      ['StartTLS is not offered', { withoutStartTls: true }, 'tls-required'],
      [
        'the StartTLS certificate names another host',
        { certificate: 'wrongName' },
        'certificate-invalid',
      ],
    ] as const)('answers at once when %s', async (_what, options, code) => {
      const server = await startSink({
        ...options,
        certificate:
          'certificate' in options
            ? servers.pki[options.certificate]
            : servers.pki.localhost,
      });
      const steps = await within(
        10_000,
        provider(server.port, 'starttls').verify(),
      );
      expect(steps.at(-1)).toMatchObject(failedStep('smtp', { code }));
      expect(server.authAttempts).toEqual([]);
    });

    it('ends the whole check at the deadline, whatever the step bounds', async () => {
      const dripping = await startMisbehavingServer('drip');
      try {
        const started = Date.now();
        const steps = await within(
          10_000,
          provider(dripping.port, 'starttls', {
            timeouts: {
              connectMs: 60_000,
              greetingMs: 60_000,
              socketMs: 60_000,
              deadlineMs: 1500,
            },
          }).verify(),
        );
        expect(Date.now() - started).toBeLessThan(3000);
        expect(steps.at(-1)).toMatchObject(
          failedStep('smtp', {
            code: 'timeout',
            message: expect.stringMatching(
              /did not finish the connection check within 2 seconds/,
            ),
            params: {
              reason: 'check-deadline',
              host: expect.any(String),
              port: dripping.port,
              seconds: 2,
            },
          }),
        );
      } finally {
        await dripping.close();
      }
    });

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
      expect(steps[4].failure).toMatchObject({
        code: 'auth-failed',
        params: { reply: expect.stringMatching(/^535\b/) },
      });

      const refused = await provider(await unusedPort(), 'starttls').verify();
      expect(refused.map(s => [s.name, s.ok, s.failure?.code])).toEqual([
        ['dns', true, undefined],
        ['connect', false, 'connection-refused'],
      ]);
      expect(refused[1].failure?.params).toEqual({
        host: expect.any(String),
        port: expect.any(Number),
      });

      const untrusted = await startSink({
        implicitTls: true,
        certificate: servers.pki.untrusted,
      });
      const tlsSteps = await provider(untrusted.port, 'tls').verify();
      expect(tlsSteps.at(-1)).toMatchObject(
        failedStep('tls', { code: 'certificate-invalid' }),
      );
    });
  });

  describe('relay refusals', () => {
    const attempt = {
      host: 'mail.example.com',
      port: 587,
      security: 'starttls' as const,
      secrets: [PASSWORD],
    };

    it.each([
      ['RCPT TO', '554 5.7.1 <ada@example.com>: Relay access denied'],
      ['RCPT TO', '550 5.7.1 Relaying denied'],
      ['RCPT TO', '454 4.7.1 <ada@example.com>: Relay access denied'],
      [
        'RCPT TO',
        '550 5.7.54 SMTP; Unable to relay recipient in non-accepted domain',
      ],
      ['MAIL FROM', '530 5.7.0 Authentication required'],
      ['MAIL FROM', '530 5.7.57 Client not authenticated to send mail'],
    ])('%s %s → relay-denied', (command, response) => {
      const error = classifySmtpError(smtpRefusal(command, response), attempt);
      expect(error.code).toBe('relay-denied');
      expect(error.message).toMatch(
        /refused to pass the message on \(\d{3} \d\.\d\.\d+\): it relays only for signed-in senders/,
      );
      expect(error.transient).toBe(response.startsWith('4'));
    });

    it('a recipient unknown "in relay recipient table" is a rejected recipient, not a relay refusal', () => {
      const error = classifySmtpError(
        smtpRefusal(
          'RCPT TO',
          '550 5.1.1 <nobody@example.com>: Recipient address rejected: User unknown in relay recipient table',
        ),
        attempt,
      );
      expect(error.code).toBe('recipient-rejected');
    });

    it('Security None, and the server offers no sign-in at all on the plain connection → says to choose SSL/TLS', () => {
      const error = classifySmtpError(
        smtpRefusal(
          'RCPT TO',
          '554 5.7.1 <ada@example.com>: Relay access denied',
        ),
        {
          ...attempt,
          security: 'none',
          plainOffer: { startTls: false, auth: false },
        },
      );
      expect(error.code).toBe('relay-denied');
      expect(error.message).toMatch(
        /offers no sign-in on a plain connection; choose SSL\/TLS/,
      );
    });
  });
});
