import {
  isSameMicrosoft365Destination,
  isSameSmtpDestination,
} from './destination';

describe('isSameSmtpDestination', () => {
  const saved = {
    host: 'smtp.example.com',
    port: 587,
    security: 'starttls' as const,
    from: 'reports@example.com',
    usernameSameAsFrom: true,
  };

  it('is the same for equal settings, a differently cased host and an explicit username equal to the sender', () => {
    expect(isSameSmtpDestination(saved, { ...saved })).toBe(true);
    expect(
      isSameSmtpDestination(saved, { ...saved, host: 'SMTP.Example.com' }),
    ).toBe(true);
    expect(
      isSameSmtpDestination(saved, {
        ...saved,
        usernameSameAsFrom: false,
        username: 'reports@example.com',
      }),
    ).toBe(true);
  });

  it.each([
    [{ host: 'smtp.other.com' }],
    [{ port: 465 }],
    [{ security: 'tls' as const }],
    [{ from: 'alerts@example.com' }],
    [{ usernameSameAsFrom: false, username: 'relay-user' }],
  ])('sees a new destination in %j', change => {
    expect(isSameSmtpDestination(saved, { ...saved, ...change })).toBe(false);
  });
});

describe('isSameMicrosoft365Destination', () => {
  const saved = { tenantId: 'contoso.onmicrosoft.com', clientId: 'a-b-c' };

  it('compares tenant and client', () => {
    expect(isSameMicrosoft365Destination(saved, { ...saved })).toBe(true);
    expect(
      isSameMicrosoft365Destination(saved, { ...saved, tenantId: 'other' }),
    ).toBe(false);
    expect(
      isSameMicrosoft365Destination(saved, { ...saved, clientId: 'x' }),
    ).toBe(false);
  });
});
