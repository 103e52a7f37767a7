import { ProviderError, redact } from './ProviderError';

const USER = 'ada@example.com';
const PASSWORD = 'S3cret-smtp-password';

const base64 = (text: string) => Buffer.from(text).toString('base64');
const plainBlob = (user: string, password: string) =>
  base64(`\0${user}\0${password}`);

/** How long a synchronous call takes, in milliseconds. */
function timed<T>(run: () => T): { result: T; ms: number } {
  const started = process.hrtime.bigint();
  const result = run();
  return { result, ms: Number(process.hrtime.bigint() - started) / 1e6 };
}

describe('redact', () => {
  describe('a huge or crafted reply costs little', () => {
    it.each([
      ['240 KB of eyJ- (quadratic for the old token pattern)', 60_000],
      ['1 MiB of eyJ-, nodemailer’s largest reply', 262_144],
    ])('%s', (_what, repeats) => {
      const reply = `535 ${'eyJ-'.repeat(repeats)}`;
      const { result, ms } = timed(() => redact(reply, [PASSWORD]));
      expect(ms).toBeLessThan(500);
      expect(result.length).toBeLessThan(4200);
      expect(result).toMatch(/^535 /);
    });

    it.each([
      ['Bearer followed by spaces', `${'Bearer '.repeat(20_000)}x`],
      ['one long base64 run', 'A'.repeat(1024 * 1024)],
      ['dots and eyJ', 'eyJ.'.repeat(250_000)],
      ['a short secret over and over', 'pw '.repeat(300_000)],
    ])('%s', (_what, reply) => {
      const { result, ms } = timed(() => redact(reply, ['pw', PASSWORD]));
      expect(ms).toBeLessThan(500);
      expect(result.length).toBeLessThan(16_000);
    });
  });

  it('keeps a short reply as it is', () => {
    expect(
      redact('535 5.7.8 Authentication credentials invalid', [PASSWORD]),
    ).toBe('535 5.7.8 Authentication credentials invalid');
  });

  it('removes the secret, URL-encoded and JSON-escaped', () => {
    const secret = 'pa"ss\\wo rd/+';
    const reply = `x ${secret} y ${encodeURIComponent(
      secret,
    )} z ${JSON.stringify({ secret })}`;
    const result = redact(reply, [secret]);
    expect(result).not.toContain(secret);
    expect(result).not.toContain(encodeURIComponent(secret));
    expect(result).not.toContain(JSON.stringify(secret).slice(1, -1));
  });

  describe('removes every form a credential takes on the wire', () => {
    it.each([
      [
        'the AUTH PLAIN blob',
        `535 5.7.8 AUTH PLAIN ${plainBlob(USER, PASSWORD)}`,
      ],
      [
        'the AUTH PLAIN blob with an authorization identity',
        `535 AUTH PLAIN ${base64(`${USER}\0${USER}\0${PASSWORD}`)}`,
      ],
      [
        'the AUTH PLAIN blob as the status text',
        `535 ${plainBlob(USER, PASSWORD)}`,
      ],
      [
        'the AUTH PLAIN blob glued to other base64 characters',
        `535 5.7.8 Q${plainBlob(USER, PASSWORD)}`,
      ],
      [
        'the AUTH PLAIN blob in URL-safe base64 without padding',
        `535 ${plainBlob(USER, PASSWORD)
          .replace(/\+/g, '-')
          .replace(/\//g, '_')
          .replace(/=+$/, '')}`,
      ],
      [
        'the AUTH LOGIN exchange',
        `535 5.7.8 AUTH LOGIN\n${base64(USER)}\n${base64(PASSWORD)}`,
      ],
      [
        'the username and password pair',
        `535 Basic ${base64(`${USER}:${PASSWORD}`)}`,
      ],
      [
        'XOAUTH2',
        `535 AUTH XOAUTH2 ${base64(
          `user=${USER}\x01auth=Bearer ${PASSWORD}\x01\x01`,
        )}`,
      ],
    ])('%s', (_what, reply) => {
      const result = redact(reply, [PASSWORD]);
      expect(result).toContain('[redacted]');
      expect(result).not.toContain(PASSWORD);
      expect(result).not.toContain(plainBlob(USER, PASSWORD).slice(0, 24));
      expect(result).not.toContain(base64(PASSWORD).slice(0, 12));
      expect(result).not.toContain(base64(`${USER}:${PASSWORD}`).slice(8, 32));
    });

    it('redacts an XOAUTH2 token it was not told about', () => {
      const blob = base64(`user=${USER}\x01auth=Bearer opaque-token\x01\x01`);
      expect(redact(`535 ${blob}`, [])).toBe('535 [redacted]');
    });
  });

  describe('short secrets', () => {
    it.each([
      [
        'alone',
        '535 wrong password pw for ada',
        '535 wrong password [redacted] for ada',
      ],
      [
        'in an AUTH PLAIN blob',
        `535 ${plainBlob(USER, 'pw')}`,
        '535 [redacted]',
      ],
      ['in AUTH LOGIN', `535 ${base64('pw')}`, '535 [redacted]'],
      ['in a pair', `535 ${base64(`${USER}:pw`)}`, '535 [redacted]'],
    ])('are removed %s', (_where, reply, expected) => {
      expect(redact(reply, ['pw'])).toBe(expected);
    });

    it('leave words that merely contain them', () => {
      expect(redact('535 pwd expired', ['pw'])).toBe('535 pwd expired');
    });
  });

  describe('cutting a long reply', () => {
    it('drops a credential blob the cut splits', () => {
      const blob = plainBlob(USER, PASSWORD);
      const reply = `535 ${'x'.repeat(4096 - 20)} ${blob}${' y'.repeat(5000)}`;
      const result = redact(reply, [PASSWORD]);
      expect(result).not.toContain(blob.slice(0, 12));
      expect(result).toMatch(/more characters\]$/);
    });

    it('drops the start of a secret with spaces that the cut splits', () => {
      const secret = 'correct horse battery staple';
      const reply = `535 ${'x '.repeat((4096 - 18) / 2)}${secret}${' y'.repeat(
        5000,
      )}`;
      const result = redact(reply, [secret]);
      expect(result).not.toMatch(/correct|horse/);
    });
  });

  it('removes bearer tokens and JSON Web Tokens', () => {
    const jwt = 'eyJ0eXAiOiJKV1QifQ.eyJyb2xlcyI6W119.c2ln';
    const result = redact(
      `401 Authorization: Bearer abc.def; token=${jwt}; id=x-${jwt}.tail`,
      [],
    );
    expect(result).toBe(
      '401 Authorization: Bearer [redacted] token=[redacted token]; id=x-[redacted token].tail',
    );
  });
});

describe('ProviderError', () => {
  it('carries the failure it was made from', () => {
    const failure = {
      code: 'throttled' as const,
      message: 'Slow down',
      transient: true,
      providerReply: '421 4.7.0 Try later',
      retryAfterMs: 1000,
    };
    expect(new ProviderError(failure).toFailure()).toEqual(failure);
  });
});
