import type { SmtpSecurity } from '@email-provider/backstage-plugin-email-provider-common';
import { DestinationGuard } from '../DestinationGuard';
import { OutgoingMessage } from '../types';
import { classifySmtpError } from './classifySmtpError';
import {
  SHORT_TIMEOUTS,
  smtpProviderTestServers,
} from '../../__testUtils__/smtpProviderTestServers';
import { failedStep, failureOf } from '../../__testUtils__/providerOutcomes';
import { smtpRefusal } from '../../__testUtils__/smtpRefusal';

jest.setTimeout(30_000);

const FROM = 'portal@example.com';

const servers = smtpProviderTestServers();

/** A relay that admits by address: it offers AUTH (LOGIN, PLAIN) but does not ask for it. */
const startRelay = servers.startSink;

/** A provider set to send without authentication: no password at all. */
function withoutAuthentication(
  port: number,
  security: SmtpSecurity,
  pool?: { maxConnections: number },
) {
  return servers.provider({
    settings: {
      host: 'localhost',
      port,
      security,
      authentication: 'none',
      from: FROM,
      usernameSameAsFrom: true,
    },
    destinations: new DestinationGuard(),
    pool,
    timeouts: SHORT_TIMEOUTS,
  });
}

const message: OutgoingMessage = {
  to: [{ address: 'ada@example.com' }],
  subject: 'Build finished',
  text: 'Hello Ada',
  messageId: '<relay-test@portal.example>',
};

const modes = [
  ['one connection at a time', undefined],
  ['pooled, on a thread of its own', { maxConnections: 2 }],
] as const;

describe.each(modes)('SMTP without authentication (%s)', (_mode, pool) => {
  it.each([
    ['starttls', {}, true],
    ['tls', { implicitTls: true }, true],
    ['none', { withoutStartTls: true }, false],
  ] as const)(
    'delivers with security %s and sends no AUTH, though the server offers it',
    async (security, options, secure) => {
      const relay = await startRelay(options);
      const smtp = withoutAuthentication(relay.port, security, pool);

      const result = await smtp.send(message);

      expect(result.providerResponse).toMatch(/^250/);
      expect(relay.received).toHaveLength(1);
      expect(relay.received[0].secure).toBe(secure);
      expect(relay.received[0].user).toBeFalsy();
      expect(relay.received[0].parsed.subject).toBe('Build finished');
      expect(relay.commands).toContain('DATA');
      expect(relay.commands).not.toContain('AUTH');
      expect(relay.authAttempts).toEqual([]);
    },
  );

  it('still requires StartTLS when it is chosen: a relay that does not offer it gets nothing', async () => {
    const relay = await startRelay({ withoutStartTls: true });
    const error = await failureOf(
      withoutAuthentication(relay.port, 'starttls', pool).send(message),
    );
    expect(error.code).toBe('tls-required');
    expect(relay.commands).not.toContain('MAIL');
    expect(relay.received).toEqual([]);
  });

  it('a server that requires sign-in before mail (530) → relay-denied, saying to turn authentication on', async () => {
    // smtp-server with accounts refuses MAIL FROM from a client that has not signed in.
    const server = await startRelay({
      credentials: { username: FROM, password: 'unused-password' },
    });
    const error = await failureOf(
      withoutAuthentication(server.port, 'starttls', pool).send(message),
    );
    expect(error.code).toBe('relay-denied');
    expect(error.message).toBe(
      `localhost:${server.port} requires sign-in before it takes mail (530), and authentication is off: tick Server requires authentication and enter the username and password.`,
    );
    expect(error.transient).toBe(false);
    expect(server.commands).toContain('MAIL');
    expect(server.commands).not.toContain('AUTH');
    expect(server.received).toEqual([]);
  });

  it('a relay that refuses an unknown network (554 Relay access denied) → relay-denied, naming both fixes', async () => {
    const server = await startRelay({
      credentials: { username: FROM, password: 'unused-password' },
      relayOnlyWhenSignedIn: true,
    });
    const error = await failureOf(
      withoutAuthentication(server.port, 'starttls', pool).send(message),
    );
    expect(error.code).toBe('relay-denied');
    expect(error.message).toBe(
      `localhost:${server.port} refused to pass the message on (554 5.7.1): it relays only for signed-in senders or allowed networks, and authentication is off. Have the relay admit the portal's address (its allowed networks or connector), or tick Server requires authentication and enter the username and password.`,
    );
    expect(error.transient).toBe(false);
    expect(server.commands).not.toContain('AUTH');
    expect(server.received).toEqual([]);
  });
});

describe('connection check without authentication', () => {
  it.each([
    ['starttls', {}, ['dns', 'connect', 'smtp', 'tls', 'login']],
    ['tls', { implicitTls: true }, ['dns', 'connect', 'tls', 'smtp', 'login']],
  ] as const)(
    'over %s, reports sign-in as skipped, with what the server offers, and sends no AUTH',
    async (security, options, names) => {
      const relay = await startRelay(options);
      const steps = await withoutAuthentication(relay.port, security).verify();

      expect(steps.map(s => [s.name, s.ok])).toEqual(
        names.map(name => [name, true]),
      );
      expect(steps.at(-1)).toMatchObject({
        name: 'login',
        ok: true,
        skipped: true,
        detail:
          'skipped: authentication is off (the server offers AUTH LOGIN PLAIN)',
      });
      expect(steps.filter(step => step.skipped)).toHaveLength(1);
      expect(relay.commands).not.toContain('AUTH');
      expect(relay.commands).not.toContain('MAIL');
      expect(relay.authAttempts).toEqual([]);
    },
  );

  it('says so when the server offers no sign-in at all on the connection', async () => {
    // Security None, and AUTH only after StartTLS: nothing to sign in with here, nor needed.
    const relay = await startRelay({ authOnlyAfterTls: true });
    const steps = await withoutAuthentication(relay.port, 'none').verify();
    expect(steps.map(s => [s.name, s.ok])).toEqual([
      ['dns', true],
      ['connect', true],
      ['smtp', true],
      ['login', true],
    ]);
    expect(steps.at(-1)?.detail).toBe(
      'skipped: authentication is off (the server offers no AUTH)',
    );
  });

  it('keeps the StartTLS rule: a relay that does not offer StartTLS fails at the smtp step', async () => {
    const relay = await startRelay({ withoutStartTls: true });
    const steps = await withoutAuthentication(relay.port, 'starttls').verify();
    expect(steps.at(-1)).toMatchObject(
      failedStep('smtp', { code: 'tls-required' }),
    );
  });
});

describe('classifying refusals when authentication is off', () => {
  const attempt = {
    host: 'relay.example.com',
    port: 25,
    security: 'starttls' as const,
    authentication: 'none' as const,
    secrets: [],
  };

  it("Exchange's 530 5.7.57 Client not authenticated → says to turn authentication on", () => {
    const error = classifySmtpError(
      smtpRefusal(
        'MAIL FROM',
        '530 5.7.57 Client not authenticated to send mail',
      ),
      attempt,
    );
    expect(error.code).toBe('relay-denied');
    expect(error.message).toMatch(
      /^relay\.example\.com:25 requires sign-in before it takes mail \(530 5\.7\.57\).*tick Server requires authentication/,
    );
  });

  it("Google's relay denial for an address it does not know → names both fixes", () => {
    const error = classifySmtpError(
      smtpRefusal(
        'RCPT TO',
        '550 5.7.0 Mail relay denied [198.51.100.7]. Invalid credentials for relay for one of the domains in: portal.example.com',
      ),
      attempt,
    );
    expect(error.code).toBe('relay-denied');
    expect(error.message).toMatch(
      /\(550 5\.7\.0\).*admit the portal's address.*or tick Server requires authentication/,
    );
  });

  it('Security None, a server that wants StartTLS before mail → says to choose StartTLS, not to sign in', () => {
    const error = classifySmtpError(
      smtpRefusal('MAIL FROM', '530 5.7.0 Must issue a STARTTLS command first'),
      { ...attempt, security: 'none' },
    );
    expect(error.code).toBe('relay-denied');
    expect(error.message).toBe(
      'relay.example.com:25 takes mail only after StartTLS (530 5.7.0): choose StartTLS.',
    );
  });

  it('with a password, a relay refusal keeps its sentence', () => {
    const error = classifySmtpError(
      smtpRefusal('MAIL FROM', '530 5.7.0 Authentication required'),
      { ...attempt, authentication: undefined },
    );
    expect(error.message).toMatch(
      /refused to pass the message on \(530 5\.7\.0\): it relays only for signed-in senders/,
    );
  });
});
