import { ConfigReader } from '@backstage/config';
import { InputError } from '@backstage/errors';
import {
  createTestPki,
  SmtpSink,
  TestPki,
  trustTestCa,
} from '@internal/mail-test-servers';
import { MailProviderFactory } from '../MailProviderFactory';
import type { MailProvider, OutgoingMessage } from '../types';
import { classifySmtpError } from './classifySmtpError';
import { readSmtpEhloName } from './smtpEhloName';

jest.setTimeout(30_000);

const config = (ehloName?: unknown) =>
  new ConfigReader(
    ehloName === undefined ? {} : { emailProvider: { smtp: { ehloName } } },
  );

describe('emailProvider.smtp.ehloName', () => {
  it.each([
    'portal.example.com',
    'Portal-1.Example.COM',
    'relay-client',
    '[192.0.2.1]',
    '[IPv6:2001:db8::1]',
  ])('accepts %s', name => {
    expect(readSmtpEhloName(config(name))).toBe(name);
  });

  it('is absent by default, leaving the name to nodemailer', () => {
    expect(readSmtpEhloName(config())).toBeUndefined();
  });

  it.each([
    [
      'an address without brackets',
      '192.0.2.1',
      /in brackets: \[192\.0\.2\.1\]/,
    ],
    [
      'an IPv6 address without its tag',
      '2001:db8::1',
      /in brackets: \[IPv6:2001:db8::1\]/,
    ],
    ['a literal that is no address', '[192.0.2.300]', /is neither/],
    ['an IPv6 literal without its tag', '[2001:db8::1]', /is neither/],
    ['an underscore', 'portal_1.example.com', /is neither/],
    ['a label starting with a hyphen', '-portal.example.com', /is neither/],
    ['a numeric top-level label', 'portal.example.123', /is neither/],
    ['a trailing dot', 'portal.example.com.', /is neither/],
    ['spaces', 'portal example', /is neither/],
    ['a line break', 'portal\r\nMAIL FROM:<x@example.com>', /is neither/],
  ])('refuses %s, naming the key', (_what, name, sentence) => {
    let error: unknown;
    try {
      readSmtpEhloName(config(name));
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(InputError);
    expect((error as Error).message).toMatch(/^emailProvider\.smtp\.ehloName /);
    expect((error as Error).message).toMatch(sentence);
  });

  it.each([
    ['empty', ''],
    ['not a string', 42],
  ])('refuses a value that is %s, naming the key', (_what, value) => {
    expect(() => readSmtpEhloName(config(value))).toThrow(
      /emailProvider\.smtp\.ehloName/,
    );
  });

  it('stops the factory, so the backend does not start with a bad name', () => {
    expect(() => MailProviderFactory.fromConfig(config('portal_1'))).toThrow(
      /emailProvider\.smtp\.ehloName must be a host name/,
    );
  });

  describe('is the name given in EHLO', () => {
    let pki: TestPki;
    let untrust: () => void;
    let sink: SmtpSink;
    let provider: MailProvider | undefined;

    beforeAll(async () => {
      pki = await createTestPki();
      untrust = trustTestCa(pki);
    });
    afterAll(() => untrust());
    beforeEach(async () => {
      sink = await SmtpSink.start({ certificate: pki.localhost });
    });
    afterEach(async () => {
      await provider?.close();
      provider = undefined;
      await sink.close();
    });

    const create = (
      ehloName: string,
      smtpPool?: { maxConnections: number },
    ): MailProvider => {
      provider = MailProviderFactory.fromConfig(config(ehloName)).create(
        {
          provider: 'smtp',
          smtp: {
            host: 'localhost',
            port: sink.port,
            security: 'starttls',
            authentication: 'none',
            from: 'portal@example.com',
            usernameSameAsFrom: true,
          },
        },
        { smtpPool },
      );
      return provider;
    };
    const message: OutgoingMessage = {
      to: [{ address: 'ada@example.com' }],
      subject: 'Hello',
      text: 'Hello Ada',
      messageId: '<ehlo-test@portal.example>',
    };

    it.each([
      ['sending one connection at a time', undefined],
      ['sending pooled, from its thread', { maxConnections: 2 }],
    ])('when %s', async (_what, pool) => {
      await create('portal.example.com', pool).send(message);
      expect(sink.received).toHaveLength(1);
      // Before StartTLS and again after it.
      expect(sink.ehloNames).toEqual([
        'portal.example.com',
        'portal.example.com',
      ]);
    });

    it('in the connection check', async () => {
      const steps = await create('[192.0.2.1]').verify();
      expect(steps.every(step => step.ok)).toBe(true);
      expect(sink.ehloNames).toEqual(['[192.0.2.1]', '[192.0.2.1]']);
    });
  });

  it.each([
    [
      'by Postfix, which defers it to RCPT TO',
      'RCPT TO',
      '504 5.5.2 <localhost>: Helo command rejected: need fully-qualified hostname',
      '(504 5.5.2)',
    ],
    [
      'in reply to EHLO and then HELO',
      'HELO',
      '501 5.5.4 Invalid domain name',
      '(501 5.5.4)',
    ],
  ])(
    'a refused EHLO name (%s) says to set it, not to check the recipient',
    (_how, command, response, status) => {
      const error = classifySmtpError(
        Object.assign(new Error(`Can't send mail: ${response}`), {
          code: command === 'HELO' ? 'EPROTOCOL' : 'EENVELOPE',
          command,
          response,
          responseCode: Number(response.slice(0, 3)),
          permanent: true,
        }),
        {
          host: 'relay.example.com',
          port: 25,
          security: 'starttls',
          secrets: [],
        },
      );
      expect(error.code).toBe('provider-error');
      expect(error.message).toBe(
        `relay.example.com:25 refused the name this portal gives in EHLO ${status}; set emailProvider.smtp.ehloName to the portal's fully qualified host name.`,
      );
      expect(error.transient).toBe(false);
    },
  );

  it('a HELO turned away for a while (421) is not blamed on the name', () => {
    const error = classifySmtpError(
      Object.assign(new Error('Invalid HELO'), {
        code: 'EPROTOCOL',
        command: 'HELO',
        response: '421 4.7.0 Try again later',
        responseCode: 421,
        permanent: false,
      }),
      {
        host: 'relay.example.com',
        port: 25,
        security: 'starttls',
        secrets: [],
      },
    );
    expect(error.message).not.toMatch(/ehloName/);
    expect(error.transient).toBe(true);
  });
});
