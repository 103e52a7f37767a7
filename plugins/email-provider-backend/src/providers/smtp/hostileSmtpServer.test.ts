import {
  mockCredentials,
  mockServices,
  startTestBackend,
} from '@backstage/backend-test-utils';
import type {
  EmailFailure,
  EmailFailureCode,
  SmtpSecurity,
  VerifyStep,
} from '@email-provider/backstage-plugin-email-provider-common';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import request from 'supertest';
import { emailProviderPlugin } from '../../plugin';
import {
  HostileConnection,
  smtpDialog,
  SmtpDialogOptions,
  TestPki,
} from '@internal/mail-test-servers';
import { smtpProviderTestServers } from '../../__testUtils__/smtpProviderTestServers';
import { failedStep } from '../../__testUtils__/providerOutcomes';
import { DestinationGuard } from '../DestinationGuard';
import { ProviderError } from '../ProviderError';
import type { SmtpTimeouts } from './SmtpConnection';

jest.setTimeout(30_000);

// `\0user\0` is not a multiple of three bytes long, so the password's own base64 is not a
// piece of the AUTH PLAIN blob: only redaction that knows the blob removes it.
const USER = 'alerts@example.com';
const PASSWORD = 'S3cret-smtp-password';

/** Short timeouts, so that the cases a timeout ends end soon. */
const TIMEOUTS: SmtpTimeouts = {
  connectMs: 2000,
  greetingMs: 2000,
  socketMs: 2500,
  deadlineMs: 4000,
};
/** Room for a loaded machine: starting the pool's thread, TLS handshakes, classifying. */
const SLACK_MS = 1500;
/** The server answers at once, however badly: nothing may wait on a timeout. */
const ANSWERED_MS = 2000 + SLACK_MS;
/**
 * TLS that never completes: nodemailer's setup budget (connectMs, from connecting to the end of
 * STARTTLS) ends the send and the check's smtp step; greetingMs ends the check's tls step.
 */
const TLS_STALLED_MS =
  Math.max(TIMEOUTS.connectMs, TIMEOUTS.greetingMs) + SLACK_MS;
/** A reply that never ends: the send's deadline ends it, socketMs the check's login step. */
const DRIPPING_MS = TIMEOUTS.deadlineMs + SLACK_MS;
/** How long the event loop may stall during any case: generous, as the machine is shared. */
const MAX_EVENT_LOOP_DELAY_MS = 500;

const base64 = (text: string) => Buffer.from(text).toString('base64');

/** Every form of the password that must not come out, for a password of four or more. */
function secretForms(password: string): string[] {
  const forms = [
    base64(password),
    base64(`\0${USER}\0${password}`),
    base64(`${USER}:${password}`),
    encodeURIComponent(password),
  ];
  return [
    password,
    ...forms,
    // The same without padding, as an echo may cut it.
    ...forms.map(form => form.replace(/=+$/, '')),
  ];
}

/** Whether any form of the password is in the text; a short one only where it stands alone. */
function leaks(text: string, password: string): string | undefined {
  if (password.length < 4) {
    const alone = new RegExp(
      `(^|[^\\p{L}\\p{N}])${password}([^\\p{L}\\p{N}]|$)`,
      'u',
    );
    if (alone.test(text)) {
      return password;
    }
    return secretForms(password)
      .slice(1)
      .find(form => form.length >= 4 && text.includes(form));
  }
  return secretForms(password).find(form => text.includes(form));
}

/** 1 MiB less a little: the largest reply nodemailer takes whole. */
const HUGE_REPLY = `535 ${'eyJ-'.repeat(262_000)}`;

/** Bytes no SMTP server sends: a fixed pseudo-random sequence, starting with no digit. */
function garbage(length: number): Buffer {
  const bytes = Buffer.alloc(length);
  let state = 0x2545f491;
  for (let i = 0; i < length; i++) {
    state = (state * 1103515245 + 12345) >>> 0;
    bytes[i] = state >>> 24;
  }
  bytes[0] = 0xff;
  return bytes;
}

/** Stays silent: for SSL/TLS, the client's hello is never answered. */
const silent = () => undefined;

type Outcome = { code: EmailFailureCode; step?: string } | 'ok';

type HostileCase = {
  name: string;
  security: SmtpSecurity;
  script: (pki: TestPki) => (connection: HostileConnection) => void;
  /** When the case must have ended, by the timeout that ends it. */
  boundMs: number;
  send: Outcome;
  verify: Outcome;
  password?: string;
  /** What the server must have seen for the case to test anything. */
  sawOnTheWire?: (lines: string[], password: string) => boolean;
  /** What the outcome's sentence must say, beyond its code. */
  sentence?: RegExp;
};

/** A scripted SMTP dialog, with the test PKI's localhost certificate. */
const dialog =
  (options: Omit<SmtpDialogOptions, 'certificate'>) => (pki: TestPki) =>
    smtpDialog({ certificate: pki.localhost, ...options });

const authEcho = (reply: (authExchange: string[]) => string, auth?: string[]) =>
  dialog({
    auth,
    answer: (verb, { authExchange }) =>
      verb === 'AUTH' ? reply(authExchange) : undefined,
  });

/** The server answered at once, refusing the login. */
const REFUSED_LOGIN = {
  boundMs: ANSWERED_MS,
  send: { code: 'auth-failed' },
  verify: { code: 'auth-failed', step: 'login' },
} as const;

/** The server answered at once, with nothing the client could read as SMTP. */
const UNREADABLE = {
  boundMs: ANSWERED_MS,
  send: { code: 'provider-unavailable' },
  verify: { code: 'provider-unavailable', step: 'smtp' },
} as const;

/** Echoes the whole AUTH exchange of `mechanism` in its 535. */
const echoAuth = (mechanism: 'PLAIN' | 'LOGIN') =>
  authEcho(exchange => `535 5.7.8 ${exchange.join(' ')}`, [mechanism]);

/** Echoes the AUTH PLAIN blob as the 535's status. */
const echoPlainBlobAsStatus = authEcho(
  exchange => `535 ${exchange[0].slice('AUTH PLAIN '.length)}`,
  ['PLAIN'],
);

/** A 1 MiB reply to AUTH. */
const hugeAuthReply = dialog({
  answer: verb => (verb === 'AUTH' ? HUGE_REPLY : undefined),
});

const sentPlainBlob = (lines: string[], password: string) =>
  lines.includes(`AUTH PLAIN ${base64(`\0${USER}\0${password}`)}`);

const cases: HostileCase[] = [
  {
    name: 'a 1 MiB reply to AUTH',
    security: 'starttls',
    script: hugeAuthReply,
    ...REFUSED_LOGIN,
  },
  {
    name: 'an EHLO reply with a 1 MiB AUTH line',
    security: 'starttls',
    script: dialog({
      answer: (verb, { connection }) => {
        if (verb === 'EHLO' && connection.secure) {
          return `250-hostile.example\r\n250-AUTH PLAIN ${'LOGIN '.repeat(
            170_000,
          )}\r\n250 8BITMIME`;
        }
        return verb === 'AUTH'
          ? '535 5.7.8 Authentication credentials invalid'
          : undefined;
      },
    }),
    ...REFUSED_LOGIN,
  },
  {
    name: "a greeting longer than nodemailer's 1 MiB cap, never ended",
    security: 'starttls',
    script: () => connection =>
      connection.write(`220 ${'eyJ-'.repeat(300_000)}`),
    ...UNREADABLE,
  },
  {
    name: 'binary garbage instead of a greeting',
    security: 'starttls',
    script: () => connection => connection.write(garbage(256 * 1024)),
    ...UNREADABLE,
  },
  {
    name: 'a reply to AUTH that never ends, a byte every 50 ms',
    security: 'starttls',
    script: dialog({
      answer: verb =>
        verb === 'AUTH'
          ? connection => connection.drip('535 5.7.8 ')
          : undefined,
    }),
    boundMs: DRIPPING_MS,
    send: { code: 'timeout' },
    verify: { code: 'timeout', step: 'login' },
  },
  {
    name: 'every reply split into one-byte packets',
    security: 'starttls',
    script: dialog({
      split: true,
      answer: verb =>
        verb === 'AUTH'
          ? '535 5.7.8 Authentication credentials invalid'
          : undefined,
    }),
    ...REFUSED_LOGIN,
    // The reply was put back together: its code and status reached the sentence.
    sentence: /\(535 5\.7\.8\)/,
  },
  {
    name: 'an echo of AUTH PLAIN in the 535',
    security: 'starttls',
    script: echoAuth('PLAIN'),
    ...REFUSED_LOGIN,
    sawOnTheWire: sentPlainBlob,
  },
  {
    name: 'an echo of the AUTH PLAIN blob as the 535 status',
    security: 'starttls',
    script: echoPlainBlobAsStatus,
    ...REFUSED_LOGIN,
    sawOnTheWire: sentPlainBlob,
  },
  {
    name: 'an echo of the AUTH LOGIN exchange in the 535',
    security: 'starttls',
    script: echoAuth('LOGIN'),
    ...REFUSED_LOGIN,
    sawOnTheWire: (lines, password) => lines.includes(base64(password)),
  },
  {
    name: 'an echo of AUTH PLAIN with a two-character password',
    security: 'starttls',
    password: 'pw',
    script: echoAuth('PLAIN'),
    ...REFUSED_LOGIN,
    sawOnTheWire: sentPlainBlob,
  },
  {
    name: 'an echo of AUTH LOGIN with a two-character password',
    security: 'starttls',
    password: 'pw',
    script: echoAuth('LOGIN'),
    ...REFUSED_LOGIN,
    sawOnTheWire: (lines, password) => lines.includes(base64(password)),
  },
  {
    name: 'an echo of the whole session in the refusal of MAIL FROM',
    security: 'starttls',
    script: dialog({
      answer: (verb, { connection }) =>
        verb === 'MAIL' ? `553 5.7.1 ${connection.lines.join(' ')}` : undefined,
    }),
    boundMs: ANSWERED_MS,
    send: { code: 'sender-rejected' },
    // The check signs in and sends nothing, so MAIL FROM never comes.
    verify: 'ok',
    sawOnTheWire: sentPlainBlob,
  },
  {
    name: 'an SSL/TLS handshake that never completes',
    security: 'tls',
    script: () => silent,
    boundMs: TLS_STALLED_MS,
    send: { code: 'timeout' },
    verify: { code: 'timeout', step: 'tls' },
  },
  {
    name: 'STARTTLS accepted, then no TLS handshake',
    security: 'starttls',
    script: dialog({
      answer: verb =>
        verb === 'STARTTLS'
          ? connection => {
              connection.write('220 2.0.0 Ready to start TLS\r\n');
              // Silent from here on: the client's TLS hello is not a command to answer, and
              // an answer to a line break in its random bytes would read as a TLS mismatch.
              connection.onLine(() => undefined);
            }
          : undefined,
    }),
    boundMs: TLS_STALLED_MS,
    send: { code: 'timeout' },
    verify: { code: 'timeout', step: 'smtp' },
  },
];

/** Measures how long the event loop stalls while `run` runs. */
async function withEventLoopWatched<T>(
  run: () => Promise<T>,
): Promise<{ result: T; elapsedMs: number; maxDelayMs: number }> {
  const histogram = monitorEventLoopDelay({ resolution: 10 });
  histogram.enable();
  const started = Date.now();
  try {
    const result = await run();
    return {
      result,
      elapsedMs: Date.now() - started,
      maxDelayMs: histogram.max / 1e6,
    };
  } finally {
    histogram.disable();
  }
}

/** The outcome of a send (its error) or of a check (its steps), and everything they put out. */
function outcomeOf(result: unknown): {
  outcome: Outcome | 'not a ProviderError';
  failures: EmailFailure[];
  output: string;
} {
  if (Array.isArray(result)) {
    const steps = result as VerifyStep[];
    const failed = steps.find(step => !step.ok);
    return {
      outcome: failed?.failure
        ? { code: failed.failure.code, step: failed.name }
        : 'ok',
      failures: steps.flatMap(step => (step.failure ? [step.failure] : [])),
      output: JSON.stringify(steps),
    };
  }
  if (!(result instanceof ProviderError)) {
    return { outcome: 'not a ProviderError', failures: [], output: '' };
  }
  return {
    outcome: { code: result.code },
    failures: [result.toFailure()],
    output: [result.message, JSON.stringify(result.toFailure())].join('\n'),
  };
}

const servers = smtpProviderTestServers();

/** The provider for a hostile server on `port`, signing in as `USER`. */
const providerFor = (
  port: number,
  options: {
    security: SmtpSecurity;
    password: string;
    pool?: { maxConnections: number };
  },
) =>
  servers.provider({
    settings: {
      host: 'localhost',
      port,
      security: options.security,
      from: USER,
      usernameSameAsFrom: true,
    },
    password: options.password,
    destinations: new DestinationGuard(),
    timeouts: TIMEOUTS,
    pool: options.pool,
  });

const MESSAGE = {
  to: [{ address: 'ada@example.com' }],
  subject: 'Hostile server test',
  text: 'Hello',
  messageId: '<hostile@portal.example>',
};

describe.each([
  ['send', 'send'],
  ['send, pooled', 'pooled'],
  ['verify', 'verify'],
] as const)('a hostile SMTP server, through %s', (_label, driver) => {
  it.each(cases.map(c => [c.name, c] as const))(
    '%s',
    async (_name, hostileCase) => {
      const password = hostileCase.password ?? PASSWORD;
      const server = await servers.startHostile(
        hostileCase.script(servers.pki),
      );
      const provider = providerFor(server.port, {
        security: hostileCase.security,
        password,
        pool: driver === 'pooled' ? { maxConnections: 1 } : undefined,
      });

      const { result, elapsedMs, maxDelayMs } = await withEventLoopWatched(
        async () => {
          if (driver === 'verify') {
            return provider.verify();
          }
          return provider.send(MESSAGE).then(
            () => undefined,
            (error: unknown) => error,
          );
        },
      );

      const { outcome, failures, output } = outcomeOf(result);
      expect(elapsedMs).toBeLessThan(hostileCase.boundMs);
      expect(maxDelayMs).toBeLessThan(MAX_EVENT_LOOP_DELAY_MS);
      expect(
        hostileCase.sawOnTheWire?.(server.received, password) ?? true,
      ).toBe(true);
      expect(outcome).toEqual(
        driver === 'verify' ? hostileCase.verify : hostileCase.send,
      );
      for (const failure of failures) {
        expect(failure.message).toMatch(hostileCase.sentence ?? /./);
        expect(failure.message.length).toBeLessThan(5000);
        expect(failure.providerReply?.length ?? 0).toBeLessThan(5000);
      }
      expect(output.length).toBeLessThan(16_000);
      expect(leaks(output, password)).toBeUndefined();
    },
  );
});

describe.each([
  ['one connection at a time', undefined],
  ['pooled', { maxConnections: 1 }],
])('a hostile SMTP server that takes the message (%s)', (_mode, pool) => {
  it('keeps its acceptance short and without the password, however much it echoes', async () => {
    const server = await servers.startHostile(
      dialog({
        answer: (verb, { connection }) =>
          verb === '.'
            ? `250 2.0.0 Queued; you said ${connection.lines.join(
                ' ',
              )} ${'eyJ-'.repeat(200_000)}`
            : undefined,
      })(servers.pki),
    );
    const provider = providerFor(server.port, {
      security: 'starttls',
      password: PASSWORD,
      pool,
    });

    const { result, elapsedMs, maxDelayMs } = await withEventLoopWatched(() =>
      provider.send(MESSAGE),
    );

    expect(elapsedMs).toBeLessThan(ANSWERED_MS);
    expect(maxDelayMs).toBeLessThan(MAX_EVENT_LOOP_DELAY_MS);
    expect(sentPlainBlob(server.received, PASSWORD)).toBe(true);
    expect(result.providerResponse).toMatch(/^250 2\.0\.0 Queued/);
    expect(result.providerResponse?.length).toBeLessThan(5000);
    expect(leaks(JSON.stringify(result), PASSWORD)).toBeUndefined();
  });
});

describe('a hostile SMTP server, through the backend', () => {
  const ADMIN = 'user:default/ada';
  const SERVICE = mockCredentials.service.header({
    onBehalfOf: mockCredentials.service('plugin:reports'),
    targetPluginId: 'email-provider',
  });

  async function startPortal() {
    const auditEvents: unknown[] = [];
    const { server } = await startTestBackend({
      features: [
        emailProviderPlugin,
        mockServices.auditor.mock({
          createEvent: async options => {
            auditEvents.push({ eventId: options.eventId, meta: options.meta });
            return {
              success: async params => {
                auditEvents.push(params);
              },
              fail: async ({ error, meta }) => {
                // What an audit log would keep of the error: its message and its fields.
                auditEvents.push({
                  meta,
                  error: { ...error, message: error.message },
                });
              },
            };
          },
        }).factory,
        mockServices.permissions.mock({
          authorize: async (requests, { credentials }) => {
            const ref = (credentials.principal as { userEntityRef?: string })
              .userEntityRef;
            return requests.map(() => ({
              result:
                ref === ADMIN ? AuthorizeResult.ALLOW : AuthorizeResult.DENY,
            }));
          },
        }).factory,
        mockServices.rootConfig.factory({
          data: {
            permission: { enabled: true },
            emailProvider: {
              encryption: { key: 'test-key-0123456789abcdef0123456789abcdef' },
              delivery: { pollIntervalMs: 50, retryDelayMs: 100 },
            },
          },
        }),
      ],
    });
    return { server, auditEvents };
  }

  /**
   * Asks the liveness endpoint every 20 ms until stopped, and keeps the slowest answer: what a
   * load balancer would see while the case runs.
   */
  function probeLiveness(server: Parameters<typeof request>[0]) {
    let stopped = false;
    let slowestMs = 0;
    const probing = (async () => {
      while (!stopped) {
        const started = Date.now();
        const res = await request(server).get('/.backstage/health/v1/liveness');
        expect(res.status).toBe(200);
        slowestMs = Math.max(slowestMs, Date.now() - started);
        await new Promise(resolve => setTimeout(resolve, 20));
      }
    })();
    return async () => {
      stopped = true;
      await probing;
      return slowestMs;
    };
  }

  it.each([
    [
      "the issue's reply: 535 and eyJ- 60,000 times",
      dialog({
        answer: verb =>
          verb === 'AUTH' ? `535 ${'eyJ-'.repeat(60_000)}` : undefined,
      }),
    ],
    ['a 1 MiB reply to AUTH', hugeAuthReply],
    ['an echo of AUTH PLAIN in the 535', echoAuth('PLAIN')],
    ['an echo of the AUTH PLAIN blob as the 535 status', echoPlainBlobAsStatus],
  ])(
    '%s: the test email, the check and the delivery log answer in time, without the password, and liveness stays fast',
    async (_name, script) => {
      const hostile = await servers.startHostile(script(servers.pki));
      const { server, auditEvents } = await startPortal();
      const admin = mockCredentials.user.header(ADMIN);
      const api = (method: 'get' | 'post' | 'put', path: string) =>
        request(server)
          [method](`/api/email-provider${path}`)
          .set(
            'Authorization',
            path === '/messages' && method === 'post' ? SERVICE : admin,
          );
      await api('put', '/settings')
        .send({
          provider: 'smtp',
          smtp: {
            host: 'localhost',
            port: hostile.port,
            security: 'starttls',
            from: USER,
            usernameSameAsFrom: true,
            password: PASSWORD,
          },
        })
        .expect(200);

      const stopProbing = probeLiveness(server);
      const timed = async (run: () => Promise<request.Response>) => {
        const started = Date.now();
        const res = await run();
        return { res, ms: Date.now() - started };
      };
      const testEmail = await timed(() =>
        api('post', '/test-email').send({ to: 'ada@example.com' }),
      );
      const verify = await timed(() => api('post', '/verify').send({}));
      const enqueued = await api('post', '/messages').send({
        to: ['ada@example.com'],
        subject: 'Hostile',
        text: 'Hello',
      });
      expect(enqueued.status).toBe(202);
      let record: request.Response | undefined;
      for (let i = 0; i < 100; i++) {
        record = await api('get', `/messages/${enqueued.body.id}`);
        if (record.body.status === 'failed') break;
        await new Promise(resolve => setTimeout(resolve, 50));
      }
      const list = await api('get', '/messages');
      const slowestLivenessMs = await stopProbing();

      expect(testEmail.res.status).toBe(502);
      expect(testEmail.res.body.failure.code).toBe('auth-failed');
      expect(testEmail.ms).toBeLessThan(ANSWERED_MS);
      expect(verify.res.status).toBe(200);
      expect(verify.res.body.steps.at(-1)).toMatchObject(
        failedStep('login', { code: 'auth-failed' }),
      );
      expect(verify.ms).toBeLessThan(ANSWERED_MS);
      expect(record?.body).toMatchObject({
        status: 'failed',
        lastError: { code: 'auth-failed' },
      });
      expect(slowestLivenessMs).toBeLessThan(MAX_EVENT_LOOP_DELAY_MS);
      for (const text of [
        testEmail.res.text,
        verify.res.text,
        record!.text,
        list.text,
        JSON.stringify(auditEvents),
      ]) {
        expect(text.length).toBeLessThan(64 * 1024);
        expect(leaks(text, PASSWORD)).toBeUndefined();
      }
    },
  );
});
