import { mockApis } from '@backstage/frontend-test-utils';
import type { EmailProviderSettings } from '@email-provider/backstage-plugin-email-provider-common';
import {
  SAVED_MICROSOFT365,
  SAVED_MICROSOFT365_CERTIFICATE,
  SAVED_SMTP,
} from '../../__testUtils__/FakeEmailProviderApi';
import { emailProviderTranslationRef } from '../../translation';
import {
  credentialExpiry,
  EmailProviderTranslate,
  expiryWarning,
} from './credentialExpiry';

// Noon, local time: the admin's today is 2027-06-01 in any time zone the tests run in.
const NOW = new Date(2027, 5, 1, 12, 0, 0);

/** The plugin's messages in English, as the page shows them by default. */
function english(): EmailProviderTranslate {
  const snapshot = mockApis
    .translation()
    .getTranslation(emailProviderTranslationRef);
  if (!snapshot.ready) {
    throw new Error('The English messages are always ready');
  }
  return snapshot.t;
}

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
    expect(expiryWarning(expiry, { managed: false }, english())).toBe(
      'The client secret expires on 2027-06-13, in 12 days: create a new one in Entra and paste it here.',
    );
    expect(expiryWarning(expiry, { managed: true }, english())).toBe(
      "The client secret expires on 2027-06-13, in 12 days: create a new one in Entra, set it in the configuration (emailProvider.managedSettings.microsoft365.clientSecret) and restart the portal's backend.",
    );
  });

  it('says today and tomorrow in words, and counts the days further out', () => {
    const t = english();
    const warn = (day: string) =>
      expiryWarning(
        credentialExpiry(secretExpiring(day), NOW)!,
        { managed: false },
        t,
      );
    expect(warn('2027-06-01')).toBe(
      'The client secret expires on 2027-06-01, today: create a new one in Entra and paste it here.',
    );
    expect(warn('2027-06-02')).toBe(
      'The client secret expires on 2027-06-02, tomorrow: create a new one in Entra and paste it here.',
    );
    expect(warn('2027-06-03')).toBe(
      'The client secret expires on 2027-06-03, in 2 days: create a new one in Entra and paste it here.',
    );
  });

  it('says that an expired certificate stops all email, and how to replace it', () => {
    const anHourAgo = new Date(NOW.getTime() - 3600_000);
    const expiry = credentialExpiry(
      certificateExpiring(anHourAgo.toISOString()),
      NOW,
    )!;
    const day = anHourAgo.toISOString().slice(0, 10);
    expect(expiryWarning(expiry, { managed: false }, english())).toBe(
      `The certificate expired on ${day}: Microsoft 365 refuses it, so the portal sends no email. To send again, create a new one, upload it to the app in Entra and paste it here with its private key.`,
    );
    expect(expiryWarning(expiry, { managed: true }, english())).toBe(
      `The certificate expired on ${day}: Microsoft 365 refuses it, so the portal sends no email. To send again, create a new one, upload it to the app in Entra, set it in the configuration (emailProvider.managedSettings.microsoft365.clientCertificatePem) and restart the portal's backend.`,
    );
  });
});
