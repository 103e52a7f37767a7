import {
  constants,
  createHash,
  randomUUID,
  sign,
  X509Certificate,
} from 'node:crypto';
import {
  AppCertificate,
  createAppCertificate,
  createAppCertificateAuthority,
  createTestPki,
  TestCertificate,
  TestPki,
  trustTestCa,
} from '../pki/certificates';
import { MicrosoftFake, startMicrosoftFake } from './MicrosoftFake';

// The provider's tests trust this fake to refuse what Graph refuses; these check that it does
// for upload sessions, where a lenient fake would let a wrong client pass.

const MAILBOX = 'reports@contoso.onmicrosoft.com';
const MB = 1024 * 1024;
const DAY = 24 * 60 * 60 * 1000;

describe('MicrosoftFake upload sessions', () => {
  let pki: TestPki;
  let untrust: () => void;
  let fake: MicrosoftFake;
  let token: string;

  beforeAll(async () => {
    pki = await createTestPki();
    untrust = trustTestCa(pki);
    fake = await startMicrosoftFake(pki, {
      mailboxes: [MAILBOX],
      roles: ['Mail.Send', 'Mail.ReadWrite'],
    });
    const response = await fetch(
      `${fake.authorityHost}/${fake.settings.tenantId}/oauth2/v2.0/token`,
      {
        method: 'POST',
        headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({
          grant_type: 'client_credentials',
          client_id: fake.settings.clientId,
          client_secret: fake.settings.clientSecret,
          scope: `${fake.graphBaseUrl}/.default`,
        }),
      },
    );
    token = (await response.json()).access_token;
  });

  afterAll(async () => {
    await fake.close();
    untrust();
  });

  const graph = (path: string, body: object) =>
    fetch(
      `${fake.graphBaseUrl}/v1.0/users/${encodeURIComponent(MAILBOX)}${path}`,
      {
        method: 'POST',
        headers: {
          Authorization: `Bearer ${token}`,
          'Content-Type': 'application/json',
        },
        body: JSON.stringify(body),
      },
    );

  async function uploadSession(size: number) {
    const draft = await graph('/messages', {
      subject: 'Large',
      body: { contentType: 'Text', content: 'x' },
      toRecipients: [{ emailAddress: { address: 'ada@example.com' } }],
    });
    const { id } = await draft.json();
    const session = await graph(
      `/messages/${encodeURIComponent(id)}/attachments/createUploadSession`,
      { AttachmentItem: { attachmentType: 'file', name: 'a.bin', size } },
    );
    expect(session.status).toBe(201);
    return (await session.json()).uploadUrl as string;
  }

  const put = (url: string, range: string, body: Buffer, headers = {}) =>
    fetch(url, {
      method: 'PUT',
      headers: { 'Content-Range': range, ...headers },
      body,
    });

  it('refuses, and counts, an Authorization header sent to the upload URL', async () => {
    const url = await uploadSession(4 * MB);
    const response = await put(url, `bytes 0-99/${4 * MB}`, Buffer.alloc(100), {
      Authorization: `Bearer ${token}`,
    });
    expect(response.status).toBe(400);
    expect((await response.json()).error.message).toMatch(/pre-authenticated/);
    expect(fake.counters.uploadsWithAuthorization).toBe(1);
  });

  it.each([
    ['a range not starting at the next expected byte', 'bytes 100-199/SIZE'],
    ['a range whose total is not the session size', 'bytes 0-99/5000000'],
    ['a range longer than the body', 'bytes 0-199/SIZE'],
    ['no range', ''],
  ])('refuses %s with a Graph error', async (_case, range) => {
    const url = await uploadSession(4 * MB);
    const response = await put(
      url,
      range.replace('SIZE', String(4 * MB)),
      Buffer.alloc(100),
    );
    expect(response.status).toBe(400);
    expect((await response.json()).error).toMatchObject({
      code: 'InvalidContentRange',
      message: expect.stringContaining('nextExpectedRanges: 0-'),
    });
  });

  it('answers 200 with the next expected range, then 201 when the attachment is complete', async () => {
    const url = await uploadSession(4 * MB);
    const first = await put(
      url,
      `bytes 0-${3 * MB - 1}/${4 * MB}`,
      Buffer.alloc(3 * MB),
    );
    expect(first.status).toBe(200);
    expect((await first.json()).nextExpectedRanges).toEqual([`${3 * MB}-`]);
    const last = await put(
      url,
      `bytes ${3 * MB}-${4 * MB - 1}/${4 * MB}`,
      Buffer.alloc(MB),
    );
    expect(last.status).toBe(201);
    expect(last.headers.get('location')).toMatch(/\/attachments\//);
  });

  it('refuses an upload session for an attachment under 3 MB', async () => {
    const draft = await graph('/messages', {
      body: { contentType: 'Text', content: 'x' },
    });
    const { id } = await draft.json();
    const response = await graph(
      `/messages/${encodeURIComponent(id)}/attachments/createUploadSession`,
      { AttachmentItem: { attachmentType: 'file', name: 'a.bin', size: MB } },
    );
    expect(response.status).toBe(400);
    expect((await response.json()).error.code).toBe(
      'ErrorAttachmentSizeShouldNotBeLessThanMinimumSize',
    );
  });
});

// The certificate tests of the provider trust the fake to check client assertions as Entra does;
// these check that it refuses what Entra refuses, with Entra's errors.
describe('MicrosoftFake client assertions', () => {
  let pki: TestPki;
  let untrust: () => void;
  let fake: MicrosoftFake;
  let registered: AppCertificate;
  let unregistered: AppCertificate;
  let expired: AppCertificate;
  let issuer: TestCertificate;
  let issued: AppCertificate;

  beforeAll(async () => {
    pki = await createTestPki();
    untrust = trustTestCa(pki);
    [registered, unregistered, expired, issuer] = await Promise.all([
      createAppCertificate(),
      createAppCertificate(),
      createAppCertificate({
        notBefore: new Date(Date.now() - 30 * DAY),
        notAfter: new Date(Date.now() - DAY),
      }),
      createAppCertificateAuthority(),
    ]);
    issued = await createAppCertificate({ cn: 'mailer.contoso.com', issuer });
    fake = await startMicrosoftFake(pki, { mailboxes: [MAILBOX] });
  });

  afterAll(async () => {
    await fake.close();
    untrust();
  });

  beforeEach(() => {
    fake.reset();
    fake.configure({ certificates: [registered.cert, expired.cert] });
  });

  const tokenEndpoint = () =>
    `${fake.authorityHost}/${fake.settings.tenantId}/oauth2/v2.0/token`;

  /** A client assertion as MSAL makes it, with any header field or claim changed. */
  function assertion(
    options: {
      signer?: AppCertificate;
      named?: AppCertificate;
      alg?: 'PS256' | 'RS256' | 'HS256';
      header?: Record<string, unknown>;
      claims?: Record<string, unknown>;
    } = {},
  ): string {
    const signer = options.signer ?? registered;
    const named = new X509Certificate((options.named ?? signer).cert);
    const alg = options.alg ?? 'PS256';
    const now = Math.floor(Date.now() / 1000);
    const encode = (value: object) =>
      Buffer.from(JSON.stringify(value)).toString('base64url');
    const thumbprint = (hash: 'sha1' | 'sha256') =>
      createHash(hash).update(named.raw).digest('base64url');
    const header = encode({
      alg,
      typ: 'JWT',
      ...(alg === 'RS256'
        ? { x5t: thumbprint('sha1') }
        : { 'x5t#S256': thumbprint('sha256') }),
      ...options.header,
    });
    const payload = encode({
      aud: tokenEndpoint(),
      iss: fake.settings.clientId,
      sub: fake.settings.clientId,
      jti: randomUUID(),
      nbf: now,
      exp: now + 600,
      ...options.claims,
    });
    const signature = sign(
      'sha256',
      Buffer.from(`${header}.${payload}`),
      alg === 'PS256'
        ? {
            key: signer.key,
            padding: constants.RSA_PKCS1_PSS_PADDING,
            saltLength: 32,
          }
        : { key: signer.key, padding: constants.RSA_PKCS1_PADDING },
    ).toString('base64url');
    return `${header}.${payload}.${signature}`;
  }

  async function requestToken(clientAssertion: string) {
    const response = await fetch(tokenEndpoint(), {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'client_credentials',
        client_id: fake.settings.clientId,
        client_assertion_type:
          'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
        client_assertion: clientAssertion,
        scope: `${fake.graphBaseUrl}/.default`,
      }),
    });
    return { status: response.status, body: await response.json() };
  }

  it.each(['PS256', 'RS256'] as const)(
    'issues a token for an assertion signed %s by a registered certificate',
    async alg => {
      const { status, body } = await requestToken(assertion({ alg }));

      expect(status).toBe(200);
      expect(body.access_token).toEqual(expect.any(String));
      expect(fake.clientAssertions).toEqual([
        expect.objectContaining({
          header: expect.objectContaining({ alg }),
          payload: expect.objectContaining({ aud: tokenEndpoint() }),
        }),
      ]);
    },
  );

  it.each([
    [
      'a certificate not uploaded to the app',
      () => assertion({ signer: unregistered }),
      'is not registered on application. [Reason - The key was not found.',
    ],
    [
      'a registered certificate past its end date',
      () => assertion({ signer: expired }),
      'Client assertion contains an invalid signature. [Reason - The key used is expired.',
    ],
    [
      "a registered certificate's thumbprint with another key's signature",
      () => assertion({ signer: unregistered, named: registered }),
      'Client assertion contains an invalid signature. [Reason - The provided signature value did not match the expected signature value.',
    ],
  ])('refuses %s with AADSTS700027', async (_case, make, reason) => {
    const { status, body } = await requestToken(make());

    expect(status).toBe(401);
    expect(body).toMatchObject({
      error: 'invalid_client',
      error_codes: [700027],
      error_description: expect.stringContaining(`AADSTS700027: `),
    });
    expect(body.error_description).toContain(reason);
  });

  it.each([
    [
      'an audience other than the token endpoint',
      { claims: { aud: 'https://login.microsoftonline.com/common/v2.0' } },
      700023,
      'Client assertion audience claim does not match Realm issuer.',
    ],
    [
      'an issuer other than the client ID',
      { claims: { iss: randomUUID() } },
      700021,
      "Client assertion application identifier doesn't match 'client_id' parameter.",
    ],
    [
      'an assertion that expired',
      {
        claims: {
          nbf: Math.floor(Date.now() / 1000) - 3600,
          exp: Math.floor(Date.now() / 1000) - 1200,
        },
      },
      700024,
      'Client assertion is not within its valid time range.',
    ],
    [
      'an assertion without a thumbprint',
      { header: { 'x5t#S256': undefined } },
      50027,
      'No certificate thumbprint specified in token header.',
    ],
    [
      'an algorithm other than RS256 or PS256',
      { header: { alg: 'HS256' } },
      5002738,
      "'HS256' is not a supported signature algorithm.",
    ],
  ])('refuses %s', async (_case, options, aadsts, description) => {
    const { body } = await requestToken(assertion(options));

    expect(body.error_codes).toEqual([aadsts]);
    expect(body.error_description).toContain(description);
  });

  it('accepts a certificate trusted by subject and issuer only when the assertion carries its chain in x5c', async () => {
    fake.configure({
      trustedCertificateSubjects: [
        { subjectName: 'mailer.contoso.com', issuer: issuer.cert },
      ],
    });
    const x5c = [issued.cert, issuer.cert].map(pem =>
      new X509Certificate(pem).raw.toString('base64'),
    );

    const without = await requestToken(assertion({ signer: issued }));
    const withChain = await requestToken(
      assertion({ signer: issued, header: { x5c } }),
    );
    fake.configure({
      trustedCertificateSubjects: [
        { subjectName: 'other.contoso.com', issuer: issuer.cert },
      ],
    });
    const otherSubject = await requestToken(
      assertion({ signer: issued, header: { x5c } }),
    );

    expect(without.body.error_codes).toEqual([700027]);
    expect(withChain.status).toBe(200);
    expect(otherSubject.body.error_codes).toEqual([700027]);
  });
});

// The provider sends messages with List-Unsubscribe as MIME; these check that the fake takes
// MIME as Graph's sendMail does and refuses, with Graph's errors, what Graph refuses.
describe('MicrosoftFake sendMail in MIME format', () => {
  let pki: TestPki;
  let untrust: () => void;
  let fake: MicrosoftFake;
  let token: string;

  beforeAll(async () => {
    pki = await createTestPki();
    untrust = trustTestCa(pki);
    fake = await startMicrosoftFake(pki, { mailboxes: [MAILBOX] });
    const response = await fetch(
      `${fake.authorityHost}/${fake.settings.tenantId}/oauth2/v2.0/token`,
      {
        method: 'POST',
        headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({
          grant_type: 'client_credentials',
          client_id: fake.settings.clientId,
          client_secret: fake.settings.clientSecret,
          scope: `${fake.graphBaseUrl}/.default`,
        }),
      },
    );
    token = (await response.json()).access_token;
  });

  afterAll(async () => {
    await fake.close();
    untrust();
  });

  beforeEach(() => {
    fake.received.length = 0;
  });

  const sendMail = (body: string, contentType = 'text/plain') =>
    fetch(
      `${fake.graphBaseUrl}/v1.0/users/${encodeURIComponent(MAILBOX)}/sendMail`,
      {
        method: 'POST',
        headers: {
          Authorization: `Bearer ${token}`,
          'Content-Type': contentType,
        },
        body,
      },
    );

  const mime = (headers: string, body = 'Hello') =>
    Buffer.from(
      `${headers.trim().split('\n').join('\r\n')}\r\n\r\n${body}`,
    ).toString('base64');

  it('accepts a base64 MIME message with 202 and records it with its header fields', async () => {
    const response = await sendMail(
      mime(`
From: ${MAILBOX}
To: Ada <ada@example.com>
Subject: Digest
Message-ID: <digest-1@backstage.example>
List-Unsubscribe:
 <https://portal.example/unsubscribe?t=abc>
List-Unsubscribe-Post: List-Unsubscribe=One-Click
Content-Type: text/plain; charset=utf-8`),
    );

    expect(response.status).toBe(202);
    expect(fake.received).toHaveLength(1);
    const [mail] = fake.received;
    expect(mail).toMatchObject({
      mailbox: MAILBOX,
      format: 'mime',
      sentAs: 'sendMail',
      saveToSentItems: true,
    });
    expect(mail.message).toMatchObject({
      subject: 'Digest',
      body: { contentType: 'Text', content: 'Hello' },
      from: { emailAddress: { address: MAILBOX } },
      toRecipients: [
        { emailAddress: { address: 'ada@example.com', name: 'Ada' } },
      ],
      internetMessageId: '<digest-1@backstage.example>',
    });
    expect(mail.message.internetMessageHeaders).toEqual(
      expect.arrayContaining([
        {
          name: 'List-Unsubscribe',
          value: '<https://portal.example/unsubscribe?t=abc>',
        },
        {
          name: 'List-Unsubscribe-Post',
          value: 'List-Unsubscribe=One-Click',
        },
      ]),
    );
    expect(mail.mime?.messageId).toBe('<digest-1@backstage.example>');
  });

  it.each([
    ['characters outside base64', '%%%not base64%%%'],
    ['a length that is no multiple of 4', 'RnJvbTo'],
  ])('refuses %s with ErrorMimeContentInvalidBase64String', async (_, body) => {
    const response = await sendMail(body);

    expect(response.status).toBe(400);
    expect((await response.json()).error).toMatchObject({
      code: 'ErrorMimeContentInvalidBase64String',
      message: 'Invalid base64 string for MIME content.',
      innerError: { 'request-id': expect.any(String) },
    });
    expect(fake.received).toHaveLength(0);
  });

  it.each([
    ['text without header fields', 'Just some words'],
    ['nothing', ''],
  ])(
    'refuses base64 of %s with ErrorMimeContentInvalid',
    async (_, content) => {
      const response = await sendMail(Buffer.from(content).toString('base64'));

      expect(response.status).toBe(400);
      expect((await response.json()).error.code).toBe(
        'ErrorMimeContentInvalid',
      );
      expect(fake.received).toHaveLength(0);
    },
  );

  it('refuses a MIME message without recipients as Graph does a JSON one', async () => {
    const response = await sendMail(mime(`From: ${MAILBOX}\nSubject: Nobody`));

    expect(response.status).toBe(400);
    expect((await response.json()).error.code).toBe('ErrorInvalidRecipients');
  });

  it('still takes JSON, recorded as such', async () => {
    const response = await sendMail(
      JSON.stringify({
        message: {
          subject: 'JSON',
          body: { contentType: 'Text', content: 'x' },
          toRecipients: [{ emailAddress: { address: 'ada@example.com' } }],
        },
        saveToSentItems: false,
      }),
      'application/json',
    );

    expect(response.status).toBe(202);
    expect(fake.received[0]).toMatchObject({
      format: 'json',
      saveToSentItems: false,
    });
    expect(fake.received[0].mime).toBeUndefined();
  });
});
