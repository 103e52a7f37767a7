import type { EmailProviderSettings } from '@email-provider/backstage-plugin-email-provider-common';
import {
  differsFromSaved,
  Draft,
  draftFromSettings,
  hasUnsavedInput,
  withSecurity,
} from './draft';
import { fieldErrorsFromIssues, validateDraft } from './validation';
import {
  SAVED_MICROSOFT365,
  SAVED_MICROSOFT365_CERTIFICATE,
  SAVED_SMTP,
  SAVED_SMTP_RELAY,
} from '../../__testUtils__/FakeEmailProviderApi';

const APPLICATION = {
  from: 'reports@contoso.onmicrosoft.com',
  tenantId: '8f3e0e0c-1d2b-4a5c-9e7f-0a1b2c3d4e5f',
  clientId: '11111111-2222-3333-4444-555555555555',
};

/** The PUT body's SMTP server and sender, as `SAVED_SMTP` holds them. */
const SMTP_SERVER = {
  host: 'smtp.example.com',
  port: 587,
  security: 'starttls',
  from: 'reports@example.com',
};

/** The PUT body that saving `draft` would send, or `false` when the draft is invalid. */
function putBody(draft: Draft, saved: EmailProviderSettings) {
  const result = validateDraft(draft, saved);
  return result.ok && result.input;
}

const PEM =
  '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n-----BEGIN PRIVATE KEY-----\nMIGH\n-----END PRIVATE KEY-----\n';

describe('form', () => {
  it('reads saved settings into the form, secrets empty', () => {
    const draft = draftFromSettings(SAVED_SMTP);
    expect(draft.provider).toBe('smtp');
    expect(draft.smtp).toEqual({
      host: 'smtp.example.com',
      port: '587',
      security: 'starttls',
      from: 'reports@example.com',
      fromName: 'ACME Portal',
      authentication: 'password',
      usernameSameAsFrom: true,
      username: '',
      password: '',
    });
    expect(
      draftFromSettings(SAVED_MICROSOFT365).microsoft365.clientSecret,
    ).toBe('');
  });

  it('reads large messages from saved settings, and sends them only when on', () => {
    const saved = {
      ...SAVED_MICROSOFT365,
      microsoft365: {
        ...SAVED_MICROSOFT365.microsoft365,
        largeMessages: true as const,
      },
    };
    const draft = draftFromSettings(saved);
    expect(draft.microsoft365.largeMessages).toBe(true);
    expect(
      draftFromSettings(SAVED_MICROSOFT365).microsoft365.largeMessages,
    ).toBe(false);
    expect(validateDraft(draft, saved)).toMatchObject({
      ok: true,
      input: { microsoft365: { largeMessages: true } },
    });
    draft.microsoft365.largeMessages = false;
    expect(putBody(draft, saved)).toEqual({
      provider: 'microsoft365',
      microsoft365: APPLICATION,
    });
  });

  it('tells unsaved input from changes that a save would make', () => {
    const initial = draftFromSettings(SAVED_SMTP);
    const typedElsewhere = {
      ...initial,
      microsoft365: { ...initial.microsoft365, tenantId: 'x' },
    };
    expect(hasUnsavedInput(typedElsewhere, initial)).toBe(true);
    expect(differsFromSaved(typedElsewhere, initial)).toBe(false);
    expect(
      differsFromSaved({ ...initial, provider: 'microsoft365' }, initial),
    ).toBe(true);
  });

  it('suggests the port of the security chosen unless a port was typed', () => {
    const smtp = draftFromSettings({ provider: 'none' }).smtp;
    expect(withSecurity(smtp, 'tls').port).toBe('465');
    expect(withSecurity({ ...smtp, port: '' }, 'none').port).toBe('25');
    expect(withSecurity({ ...smtp, port: '2525' }, 'tls').port).toBe('2525');
  });

  it('builds the PUT body, leaving out an empty optional field and a kept secret', () => {
    const draft = draftFromSettings(SAVED_SMTP);
    draft.smtp.fromName = '  ';
    draft.smtp.host = ' smtp.example.com ';
    expect(validateDraft(draft, SAVED_SMTP)).toEqual({
      ok: true,
      input: {
        provider: 'smtp',
        smtp: { ...SMTP_SERVER, usernameSameAsFrom: true },
      },
    });
  });

  it('leaves the sign-in out of the PUT body without authentication, even when typed', () => {
    const draft = draftFromSettings(SAVED_SMTP);
    draft.smtp = {
      ...draft.smtp,
      authentication: 'none',
      usernameSameAsFrom: false,
      username: 'typed',
      password: 'typed',
    };
    expect(putBody(draft, SAVED_SMTP)).toEqual({
      provider: 'smtp',
      smtp: {
        ...SMTP_SERVER,
        fromName: 'ACME Portal',
        authentication: 'none',
        usernameSameAsFrom: true,
      },
    });
  });

  it("sends only the chosen credential's fields, and the cloud unless global", () => {
    const draft = draftFromSettings(SAVED_MICROSOFT365);
    draft.microsoft365 = {
      ...draft.microsoft365,
      clientSecret: 'typed-secret',
      clientSecretExpiresAt: '2027-06-30',
      clientCertificatePem: PEM,
    };
    expect(putBody(draft, SAVED_MICROSOFT365)).toEqual({
      provider: 'microsoft365',
      microsoft365: {
        ...APPLICATION,
        clientSecret: 'typed-secret',
        clientSecretExpiresAt: '2027-06-30',
      },
    });

    draft.microsoft365 = {
      ...draft.microsoft365,
      cloud: 'usgov-dod',
      credential: 'certificate',
    };
    expect(putBody(draft, SAVED_MICROSOFT365)).toEqual({
      provider: 'microsoft365',
      microsoft365: {
        ...APPLICATION,
        cloud: 'usgov-dod',
        credential: 'certificate',
        clientCertificatePem: PEM,
      },
    });
  });

  it('reads the cloud, the credential and the secret expiry of saved settings', () => {
    expect(
      draftFromSettings(SAVED_MICROSOFT365_CERTIFICATE).microsoft365,
    ).toMatchObject({
      cloud: 'usgov-high',
      credential: 'certificate',
      clientCertificatePem: '',
    });
    expect(draftFromSettings(SAVED_MICROSOFT365).microsoft365).toMatchObject({
      cloud: 'global',
      credential: 'secret',
      clientSecretExpiresAt: '',
    });
    expect(
      draftFromSettings({
        ...SAVED_MICROSOFT365,
        microsoft365: {
          ...SAVED_MICROSOFT365.microsoft365,
          clientSecretExpiresAt: '2027-06-30T00:00:00.000Z',
        },
      }).microsoft365.clientSecretExpiresAt,
    ).toBe('2027-06-30');
    expect(draftFromSettings(SAVED_SMTP_RELAY).smtp).toMatchObject({
      authentication: 'none',
      usernameSameAsFrom: true,
      username: '',
    });
  });

  it('maps issues to the fields they name, under a prefix or not', () => {
    const issues = [
      { field: 'smtp.host', message: 'Server address must be a host name' },
      { field: 'smtp.port', message: 'Port must be a number, not a string' },
      { field: 'smtp.port', message: 'A second problem with the port' },
      { field: 'body', message: 'Unknown field in settings: x' },
    ];
    expect(fieldErrorsFromIssues(issues)).toEqual({
      errors: {
        'smtp.host': 'Server address must be a host name',
        'smtp.port': 'Port must be a number, not a string',
      },
      others: [{ field: 'body', message: 'Unknown field in settings: x' }],
    });
    expect(
      fieldErrorsFromIssues(
        [
          {
            field: 'settings.microsoft365.tenantId',
            message: 'Tenant ID is wrong',
          },
        ],
        'settings.',
      ),
    ).toEqual({
      errors: { 'microsoft365.tenantId': 'Tenant ID is wrong' },
      others: [],
    });
  });
});
