import type { EmailProviderSettings } from '@email-provider/backstage-plugin-email-provider-common';
import {
  SAVED_MICROSOFT365,
  SAVED_MICROSOFT365_CERTIFICATE,
  SAVED_SMTP,
} from '../../__testUtils__/FakeEmailProviderApi';
import { credentialExpiry, expiryWarning } from './credentialExpiry';

// Noon, local time: the admin's today is 2027-06-01 in any time zone the tests run in.
const NOW = new Date(2027, 5, 1, 12, 0, 0);

function secretExpiring(day: string): EmailProviderSettings {
  return {
    ...SAVED_MICROSOFT365,
    microsoft365: {
      ...SAVED_MICROSOFT365.microsoft365,
      clientSecretExpiresAt: day,
      credentialExpiresAt: new Date(day).toISOString(),
    },
  };
}

function certificateExpiring(notAfter: string): EmailProviderSettings {
  return {
    ...SAVED_MICROSOFT365_CERTIFICATE,
    microsoft365: {
      ...SAVED_MICROSOFT365_CERTIFICATE.microsoft365,
      credentialExpiresAt: notAfter,
    },
  };
}

describe('credentialExpiry', () => {
  it('counts the days to a client secret expiry and warns from 30 days before', () => {
    expect(credentialExpiry(secretExpiring('2027-07-02'), NOW)).toEqual({
      credential: 'secret',
      day: '2027-07-02',
      daysLeft: 31,
      status: 'valid',
    });
    expect(credentialExpiry(secretExpiring('2027-07-01'), NOW)).toMatchObject({
      daysLeft: 30,
      status: 'expiring',
    });
  });

  it('keeps a client secret valid through the day Entra lists, expired the day after', () => {
    expect(credentialExpiry(secretExpiring('2027-06-01'), NOW)).toMatchObject({
      daysLeft: 0,
      status: 'expiring',
    });
    expect(credentialExpiry(secretExpiring('2027-05-31'), NOW)).toMatchObject({
      daysLeft: -1,
      status: 'expired',
    });
  });

  it('expires a certificate at its notAfter moment', () => {
    const inAnHour = new Date(NOW.getTime() + 3600_000).toISOString();
    const anHourAgo = new Date(NOW.getTime() - 3600_000).toISOString();
    expect(credentialExpiry(certificateExpiring(inAnHour), NOW)).toMatchObject({
      credential: 'certificate',
      status: 'expiring',
    });
    expect(credentialExpiry(certificateExpiring(anHourAgo), NOW)).toMatchObject(
      { credential: 'certificate', status: 'expired' },
    );
  });

  it('knows nothing without an expiry or for SMTP', () => {
    expect(credentialExpiry(SAVED_MICROSOFT365, NOW)).toBeUndefined();
    expect(credentialExpiry(SAVED_SMTP, NOW)).toBeUndefined();
    expect(credentialExpiry({ provider: 'none' }, NOW)).toBeUndefined();
  });

  it('tells admins of configured settings to renew the credential in the configuration', () => {
    const expiry = credentialExpiry(secretExpiring('2027-06-13'), NOW)!;
    expect(expiryWarning(expiry, { managed: false })).toBe(
      'The client secret expires on 2027-06-13, in 12 days: create a new one in Entra and paste it here.',
    );
    expect(expiryWarning(expiry, { managed: true })).toBe(
      "The client secret expires on 2027-06-13, in 12 days: create a new one in Entra, set it in the configuration (emailProvider.managedSettings.microsoft365.clientSecret) and restart the portal's backend.",
    );
  });
});
