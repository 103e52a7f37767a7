import { validateEmailProviderSettingsInput } from './schema';

const smtp = {
  host: 'smtp.example.com',
  port: 587,
  security: 'starttls',
  from: 'reports@example.com',
  usernameSameAsFrom: true,
  password: 'app-password',
};

const microsoft365 = {
  from: 'reports@contoso.onmicrosoft.com',
  tenantId: '8f3e0e0c-1d2b-4a5c-9e7f-0a1b2c3d4e5f',
  clientId: '11111111-2222-3333-4444-555555555555',
  clientSecret: 'abc~DEF.ghi_jkl-123',
};

function issuesOf(body: unknown) {
  const result = validateEmailProviderSettingsInput(body);
  if (result.success) {
    throw new Error(`expected ${JSON.stringify(body)} to be rejected`);
  }
  return result.issues;
}

describe('validateEmailProviderSettingsInput', () => {
  it('accepts each provider', () => {
    expect(validateEmailProviderSettingsInput({ provider: 'none' })).toEqual({
      success: true,
      data: { provider: 'none' },
    });
    expect(
      validateEmailProviderSettingsInput({ provider: 'smtp', smtp }),
    ).toEqual({ success: true, data: { provider: 'smtp', smtp } });
    expect(
      validateEmailProviderSettingsInput({
        provider: 'microsoft365',
        microsoft365,
      }),
    ).toEqual({
      success: true,
      data: { provider: 'microsoft365', microsoft365 },
    });
  });

  it('takes large messages for Microsoft 365 as an optional true or false', () => {
    for (const largeMessages of [true, false]) {
      expect(
        validateEmailProviderSettingsInput({
          provider: 'microsoft365',
          microsoft365: { ...microsoft365, largeMessages },
        }),
      ).toEqual({
        success: true,
        data: {
          provider: 'microsoft365',
          microsoft365: { ...microsoft365, largeMessages },
        },
      });
    }
  });

  it('defaults the username to the sender address', () => {
    const { usernameSameAsFrom: _, ...rest } = smtp;
    const result = validateEmailProviderSettingsInput({
      provider: 'smtp',
      smtp: rest,
    });
    expect(result).toMatchObject({
      success: true,
      data: { smtp: { usernameSameAsFrom: true } },
    });
  });

  it.each([
    ['127.0.0.1'],
    ['::1'],
    ['fe80::1'],
    ['::ffff:192.0.2.1'],
    ['2001:db8::8a2e:370:7334'],
    ['mail'],
    ['smtp.office365.com'],
    ['smtp.example.com.'],
  ])('accepts the server address %s', host => {
    expect(
      validateEmailProviderSettingsInput({
        provider: 'smtp',
        smtp: { ...smtp, host },
      }).success,
    ).toBe(true);
  });

  it.each([
    ['smtp', { host: 'smtp://smtp.example.com' }, 'smtp.host'],
    ['smtp', { host: 'smtp.example.com:587' }, 'smtp.host'],
    ['smtp', { host: 'smtp.example.com/path' }, 'smtp.host'],
    ['smtp', { host: 'smtp example.com' }, 'smtp.host'],
    ['smtp', { host: 'smtp.example.com\r\nRCPT TO:<x@y.z>' }, 'smtp.host'],
    ['smtp', { host: '' }, 'smtp.host'],
    ['smtp', { host: '2852039166' }, 'smtp.host'],
    ['smtp', { host: '0x7f.0x0.0x0.0x1' }, 'smtp.host'],
    ['smtp', { host: '256.1.1.1' }, 'smtp.host'],
    ['smtp', { host: '[::1]' }, 'smtp.host'],
    ['smtp', { host: 'a'.repeat(64) }, 'smtp.host'],
    ['smtp', { host: 42 }, 'smtp.host'],
    ['smtp', { port: '587' }, 'smtp.port'],
    ['smtp', { port: 0 }, 'smtp.port'],
    ['smtp', { port: 65536 }, 'smtp.port'],
    ['smtp', { port: 587.5 }, 'smtp.port'],
    ['smtp', { port: undefined }, 'smtp.port'],
    ['smtp', { security: 'ssl' }, 'smtp.security'],
    ['smtp', { security: 'STARTTLS' }, 'smtp.security'],
    ['smtp', { from: 'Reports <reports@example.com>' }, 'smtp.from'],
    ['smtp', { from: 'reports@example.com (comment)' }, 'smtp.from'],
    ['smtp', { from: '"quoted local"@example.com' }, 'smtp.from'],
    ['smtp', { from: 'a@example.com, b@example.com' }, 'smtp.from'],
    ['smtp', { from: 'reports@[127.0.0.1]' }, 'smtp.from'],
    ['smtp', { from: 'reports@example.com\nBcc: x@y.z' }, 'smtp.from'],
    ['smtp', { from: `${'a'.repeat(65)}@example.com` }, 'smtp.from'],
    [
      'smtp',
      {
        from: `a@${'b'.repeat(60)}.${'c'.repeat(60)}.${'d'.repeat(
          60,
        )}.${'e'.repeat(60)}.${'f'.repeat(10)}.com`,
      },
      'smtp.from',
    ],
    ['smtp', { from: 'reports.@example.com' }, 'smtp.from'],
    ['smtp', { from: 'no-at-sign' }, 'smtp.from'],
    ['smtp', { fromName: 'ACME\r\nBcc: victim@example.com' }, 'smtp.fromName'],
    ['smtp', { fromName: 'x'.repeat(201) }, 'smtp.fromName'],
    ['smtp', { usernameSameAsFrom: 'yes' }, 'smtp.usernameSameAsFrom'],
    ['smtp', { usernameSameAsFrom: false }, 'smtp.username'],
    [
      'smtp',
      { usernameSameAsFrom: false, username: 'Bob <bob@example.com>' },
      'smtp.username',
    ],
    [
      'smtp',
      { usernameSameAsFrom: false, username: 'bob smith' },
      'smtp.username',
    ],
    ['smtp', { usernameSameAsFrom: false, username: 'bob@' }, 'smtp.username'],
    [
      'smtp',
      { usernameSameAsFrom: true, username: 'other@example.com' },
      'smtp.username',
    ],
    ['smtp', { password: '' }, 'smtp.password'],
    ['smtp', { password: 'line\nbreak' }, 'smtp.password'],
    ['smtp', { password: 'x'.repeat(1025) }, 'smtp.password'],
    ['smtp', { extra: true }, 'smtp'],
    ['microsoft365', { from: 'not an address' }, 'microsoft365.from'],
    ['microsoft365', { tenantId: 'common' }, 'microsoft365.tenantId'],
    [
      'microsoft365',
      { tenantId: 'not-a-guid-or-domain!' },
      'microsoft365.tenantId',
    ],
    [
      'microsoft365',
      { tenantId: 'https://login.microsoftonline.com/x' },
      'microsoft365.tenantId',
    ],
    [
      'microsoft365',
      { clientId: 'contoso.onmicrosoft.com' },
      'microsoft365.clientId',
    ],
    [
      'microsoft365',
      { clientId: '11111111-2222-3333-4444-55555555555' },
      'microsoft365.clientId',
    ],
    ['microsoft365', { clientSecret: '' }, 'microsoft365.clientSecret'],
    ['microsoft365', { clientSecret: 'a\u0000b' }, 'microsoft365.clientSecret'],
    ['microsoft365', { authority: 'https://evil.example' }, 'microsoft365'],
    ['microsoft365', { largeMessages: 'yes' }, 'microsoft365.largeMessages'],
    ['smtp', { largeMessages: true }, 'smtp'],
  ])('rejects %s %j, naming %s', (provider, change, field) => {
    const base = provider === 'smtp' ? smtp : microsoft365;
    const issues = issuesOf({ provider, [provider]: { ...base, ...change } });
    expect(issues.map(i => i.field)).toContain(field);
    for (const issue of issues) {
      expect(issue.message.length).toBeGreaterThan(10);
    }
  });

  it.each([
    [undefined, 'body'],
    ['smtp', 'body'],
    [{}, 'provider'],
    [{ provider: 'sendgrid' }, 'provider'],
    [{ provider: 'smtp' }, 'smtp'],
    [{ provider: 'smtp', smtp: 'host' }, 'smtp'],
    [{ provider: 'none', smtp }, 'body'],
    [{ provider: 'smtp', smtp, microsoft365 }, 'body'],
  ])('rejects the body %j, naming %s', (body, field) => {
    expect(issuesOf(body).map(i => i.field)).toContain(field);
  });

  it('never echoes a rejected value in its messages', () => {
    const secret = 'hunter2\nsecret';
    const issues = issuesOf({
      provider: 'smtp',
      smtp: { ...smtp, password: secret, host: 'bad host' },
    });
    expect(JSON.stringify(issues)).not.toContain('hunter2');
    expect(JSON.stringify(issues)).not.toContain('bad host');
  });
});

describe('the fields of real setups', () => {
  const { password: _password, ...smtpWithoutPassword } = smtp;
  const { clientSecret: _secret, ...application } = microsoft365;
  const pem =
    '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n-----BEGIN PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY-----\n';

  it('takes SMTP without authentication, with no username or password', () => {
    expect(
      validateEmailProviderSettingsInput({
        provider: 'smtp',
        smtp: { ...smtpWithoutPassword, authentication: 'none' },
      }),
    ).toMatchObject({ success: true });
    expect(
      issuesOf({
        provider: 'smtp',
        smtp: {
          ...smtp,
          authentication: 'none',
          usernameSameAsFrom: false,
          username: 'relay-user',
        },
      }),
    ).toEqual([
      {
        field: 'smtp.username',
        message:
          'Username must be left out when the server requires no authentication',
      },
      {
        field: 'smtp.password',
        message:
          'Password must be left out when the server requires no authentication',
      },
    ]);
    expect(
      issuesOf({
        provider: 'smtp',
        smtp: { ...smtp, authentication: 'anonymous' },
      }),
    ).toEqual([
      {
        field: 'smtp.authentication',
        message: 'Authentication must be password or none',
      },
    ]);
  });

  it('takes a cloud, a credential, a certificate and a secret expiry for Microsoft 365', () => {
    for (const cloud of ['global', 'usgov-high', 'usgov-dod', 'china']) {
      expect(
        validateEmailProviderSettingsInput({
          provider: 'microsoft365',
          microsoft365: { ...microsoft365, cloud },
        }),
      ).toMatchObject({ success: true });
    }
    expect(
      validateEmailProviderSettingsInput({
        provider: 'microsoft365',
        microsoft365: {
          ...application,
          credential: 'certificate',
          clientCertificatePem: pem,
        },
      }),
    ).toMatchObject({ success: true });
    expect(
      validateEmailProviderSettingsInput({
        provider: 'microsoft365',
        microsoft365: { ...microsoft365, clientSecretExpiresAt: '2027-06-30' },
      }),
    ).toMatchObject({ success: true });
  });

  it.each([
    [
      { cloud: 'azure-germany' },
      'microsoft365.cloud',
      'Cloud must be one of global, usgov-high, usgov-dod or china',
    ],
    [
      { credential: 'password' },
      'microsoft365.credential',
      'Credential must be secret or certificate',
    ],
    [
      { clientSecretExpiresAt: '30/06/2027' },
      'microsoft365.clientSecretExpiresAt',
      'Client secret expiry must be a date such as 2027-06-30',
    ],
    [
      { clientSecretExpiresAt: '2027-02-30' },
      'microsoft365.clientSecretExpiresAt',
      'Client secret expiry must be a date such as 2027-06-30',
    ],
    [
      { credential: 'certificate' },
      'microsoft365.clientSecret',
      'Client secret must be left out when the credential is a certificate',
    ],
    [
      { clientCertificatePem: pem },
      'microsoft365.clientCertificatePem',
      'Certificate and private key must be left out unless the credential is certificate',
    ],
  ])('refuses Microsoft 365 %j', (change, field, message) => {
    expect(
      issuesOf({
        provider: 'microsoft365',
        microsoft365: { ...microsoft365, ...change },
      }),
    ).toContainEqual({ field, message });
  });

  it.each([
    [
      '-----BEGIN PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY-----',
      'Certificate and private key must contain the certificate, from -----BEGIN CERTIFICATE----- to -----END CERTIFICATE-----',
    ],
    [
      '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----',
      'Certificate and private key must contain the private key, from -----BEGIN PRIVATE KEY----- to -----END PRIVATE KEY-----',
    ],
    [
      '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n-----BEGIN ENCRYPTED PRIVATE KEY-----\nMIIE\n-----END ENCRYPTED PRIVATE KEY-----',
      'The private key must not be protected by a passphrase; export it without one',
    ],
  ])('refuses a certificate PEM that lacks what it needs', (value, message) => {
    expect(
      issuesOf({
        provider: 'microsoft365',
        microsoft365: {
          ...application,
          credential: 'certificate',
          clientCertificatePem: value,
        },
      }),
    ).toEqual([{ field: 'microsoft365.clientCertificatePem', message }]);
  });
});
