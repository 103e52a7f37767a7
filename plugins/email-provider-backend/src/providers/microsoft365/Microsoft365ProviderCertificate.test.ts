import { createHash, createPrivateKey, X509Certificate } from 'node:crypto';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import {
  AppCertificate,
  createAppCertificate,
  createAppCertificateAuthority,
  MicrosoftFake,
  startMailTestServersBeforeAll,
  TestCertificate,
} from '@internal/mail-test-servers';
import { ProviderError } from '../ProviderError';
import type { OutgoingMessage } from '../types';
import { Microsoft365Provider } from './Microsoft365Provider';
import { MsalClientCache } from './MsalClientCache';

const SENDER = 'reports@contoso.onmicrosoft.com';
const DAY = 24 * 60 * 60 * 1000;

function message(): OutgoingMessage {
  return {
    to: [{ address: 'ada@example.com' }],
    subject: 'Weekly report',
    text: 'See attached.',
    messageId: `<${Math.random().toString(36).slice(2)}@backstage.example>`,
  };
}

function sha1Thumbprint(certificate: AppCertificate): string {
  return createHash('sha1')
    .update(new X509Certificate(certificate.cert).raw)
    .digest('hex')
    .toUpperCase();
}

/** The private key's base64 lines, none of which may appear in an error. */
function keyLines(certificate: AppCertificate): string[] {
  return certificate.key
    .split('\n')
    .filter(line => line.length >= 16 && !line.startsWith('-----'));
}

describe('Microsoft365Provider with a certificate', () => {
  const servers = startMailTestServersBeforeAll({
    microsoft: { mailboxes: [SENDER] },
    trustCa: true,
  });
  let fake: MicrosoftFake;
  let clients: MsalClientCache;
  let registered: AppCertificate;
  let renewed: AppCertificate;
  let unregistered: AppCertificate;
  let expired: AppCertificate;
  let expiringSoon: AppCertificate;
  let issuer: TestCertificate;
  let issued: AppCertificate;

  beforeAll(async () => {
    [registered, renewed, unregistered, expired, expiringSoon, issuer] =
      await Promise.all([
        createAppCertificate({
          cn: 'backstage-mail',
          notAfter: new Date(Date.now() + 200.5 * DAY),
        }),
        createAppCertificate(),
        createAppCertificate(),
        createAppCertificate({
          notBefore: new Date(Date.now() - 365 * DAY),
          notAfter: new Date(Date.now() - DAY),
        }),
        createAppCertificate({ notAfter: new Date(Date.now() + 10.5 * DAY) }),
        createAppCertificateAuthority(),
      ]);
    issued = await createAppCertificate({ cn: 'mailer.contoso.com', issuer });
    fake = servers.microsoft;
  });

  beforeEach(() => {
    fake.reset();
    fake.configure({
      certificates: [
        registered.cert,
        renewed.cert,
        expired.cert,
        expiringSoon.cert,
      ],
    });
    clients = new MsalClientCache();
  });

  function createProvider(
    certificate: { pem: string },
    authorityHost = fake.authorityHost,
  ) {
    return new Microsoft365Provider({
      settings: {
        from: SENDER,
        tenantId: fake.settings.tenantId,
        clientId: fake.settings.clientId,
        credential: 'certificate',
      },
      clientCertificatePem: certificate.pem,
      authorityHost,
      graphBaseUrl: fake.graphBaseUrl,
      clients,
    });
  }

  async function sendError(
    provider: Microsoft365Provider,
  ): Promise<ProviderError> {
    const error = await provider.send(message()).then(
      () => undefined,
      e => e,
    );
    expect(error).toBeInstanceOf(ProviderError);
    return error;
  }

  function expectNoKeyMaterial(error: ProviderError, key: AppCertificate) {
    const texts = [
      error.message,
      error.providerReply ?? '',
      JSON.stringify(error.toFailure()),
      String(error.stack),
    ].join('\n');
    for (const line of keyLines(key)) {
      expect(texts).not.toContain(line);
    }
    expect(texts).not.toMatch(/eyJ[\w-]+\.eyJ[\w-]+\.[\w-]+/);
  }

  it('gets a token with a client assertion signed by the registered certificate and sends', async () => {
    await createProvider(registered).send(message());

    expect(fake.received).toHaveLength(1);
    expect(fake.clientAssertions).toHaveLength(1);
    const [{ header, payload }] = fake.clientAssertions;
    expect(header).toMatchObject({
      alg: 'PS256',
      'x5t#S256': createHash('sha256')
        .update(new X509Certificate(registered.cert).raw)
        .digest('base64url'),
    });
    expect(payload).toMatchObject({
      aud: `${fake.authorityHost}/${fake.settings.tenantId}/oauth2/v2.0/token`,
      iss: fake.settings.clientId,
      sub: fake.settings.clientId,
    });
  });

  it('sends the certificate chain as x5c, so an app that trusts the subject and issuer accepts it', async () => {
    fake.configure({
      trustedCertificateSubjects: [
        { subjectName: 'mailer.contoso.com', issuer: issuer.cert },
      ],
    });

    await createProvider(issued).send(message());

    expect(fake.received).toHaveLength(1);
    expect(fake.clientAssertions[0].header.x5c).toEqual(
      [issued.cert, issuer.cert].map(pem =>
        new X509Certificate(pem).raw.toString('base64'),
      ),
    );
  });

  it('sends x5c for a certificate pasted with trailing spaces and CRLF line ends', async () => {
    await createProvider({
      pem: registered.pem.replace(/\n/g, ' \r\n'),
    }).send(message());

    expect(fake.received).toHaveLength(1);
    expect(fake.clientAssertions[0].header.x5c).toEqual([
      new X509Certificate(registered.cert).raw.toString('base64'),
    ]);
  });

  it('reports a certificate not uploaded to the app as certificate-not-registered, naming its thumbprint', async () => {
    const error = await sendError(createProvider(unregistered));

    expect(error).toMatchObject({
      code: 'certificate-not-registered',
      transient: false,
      providerReply: expect.stringContaining('AADSTS700027'),
    });
    expect(error.message).toContain(sha1Thumbprint(unregistered));
    expect(error.message).toMatch(/upload the certificate's public part/);
    expect(fake.received).toHaveLength(0);
    expectNoKeyMaterial(error, unregistered);
  });

  it('reports an expired certificate as certificate-expired without asking Entra', async () => {
    const error = await sendError(createProvider(expired));

    expect(error).toMatchObject({
      code: 'certificate-expired',
      transient: false,
      message: expect.stringContaining(
        `expired on ${new Date(new X509Certificate(expired.cert).validTo)
          .toISOString()
          .slice(0, 10)}`,
      ),
    });
    expect(fake.counters.tokenRequests).toBe(0);
  });

  it('refuses a certificate with an EC key before asking Entra, which needs RSA', async () => {
    const ec = await createAppCertificate({ keyType: 'ec' });

    const error = await sendError(createProvider(ec));

    expect(error).toMatchObject({
      code: 'provider-error',
      message: expect.stringContaining('create an RSA certificate'),
    });
    expect(fake.counters.tokenRequests).toBe(0);
    expectNoKeyMaterial(error, ec);
  });

  it('keeps the private key and the client assertion out of an error whose reply echoes them', async () => {
    // As the pasted PKCS#1 text and as the PKCS#8 text MSAL signs with, line by line.
    const pkcs1 = createPrivateKey(registered.key)
      .export({ type: 'pkcs1', format: 'pem' })
      .toString();
    const pkcs8 = registered.key;
    const echoing = https.createServer(
      servers.pki.localhost,
      (request, response) => {
        let body = '';
        request.on('data', chunk => {
          body += chunk;
        });
        request.on('end', () => {
          const assertion = new URLSearchParams(body).get('client_assertion');
          response.writeHead(400, { 'Content-Type': 'application/json' }).end(
            JSON.stringify({
              error: 'invalid_client',
              error_description: `AADSTS50027: JWT token is invalid or malformed. Got ${assertion} signed with ${pkcs8} and ${pkcs1}`,
              error_codes: [50027],
            }),
          );
        });
      },
    );
    await new Promise<void>(resolve => echoing.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = echoing.address() as AddressInfo;
      const provider = createProvider(
        { pem: `${registered.cert}\n${pkcs1}` },
        `https://localhost:${port}`,
      );

      const error = await sendError(provider);

      expect(error.providerReply).toContain('AADSTS50027');
      expectNoKeyMaterial(error, registered);
      expectNoKeyMaterial(error, { ...registered, key: pkcs1 });
    } finally {
      echoing.close();
    }
  });

  it('keeps one token per certificate and key, shared by providers with the same one', async () => {
    await createProvider(registered).send(message());
    await createProvider(registered).send(message());
    await createProvider(renewed).send(message());
    await createProvider(registered).send(message());

    expect(fake.counters.tokenRequests).toBe(2);
    expect(fake.received).toHaveLength(4);
  });

  describe('verify', () => {
    it("reports the certificate's subject, thumbprint and expiry with the token", async () => {
      const steps = await createProvider(registered).verify();

      expect(steps.map(s => [s.name, s.ok])).toEqual([
        ['token', true],
        ['permission', true],
      ]);
      const notAfter = new Date(new X509Certificate(registered.cert).validTo);
      expect(steps[0].detail).toBe(
        `${
          steps[0].detail!.split(';')[0]
        }; certificate CN=backstage-mail, thumbprint ${sha1Thumbprint(
          registered,
        )}, expires ${notAfter.toISOString().slice(0, 10)} (in 200 days)`,
      );
    });

    it('passes with a certificate expiring within 30 days, and says to renew it', async () => {
      const steps = await createProvider(expiringSoon).verify();

      expect(steps[0].ok).toBe(true);
      expect(steps[0].detail).toMatch(
        /expires \d{4}-\d{2}-\d{2} \(in 10 days: renew it before then\)$/,
      );
    });

    it('fails the token step of an expired certificate without asking Entra', async () => {
      const steps = await createProvider(expired).verify();

      expect(steps).toEqual([
        expect.objectContaining({
          name: 'token',
          ok: false,
          failure: expect.objectContaining({ code: 'certificate-expired' }),
        }),
      ]);
      expect(fake.counters.tokenRequests).toBe(0);
    });

    it('fails the token step of an unregistered certificate as certificate-not-registered', async () => {
      const steps = await createProvider(unregistered).verify();

      expect(steps).toHaveLength(1);
      expect(steps[0].failure).toMatchObject({
        code: 'certificate-not-registered',
      });
    });
  });
});
