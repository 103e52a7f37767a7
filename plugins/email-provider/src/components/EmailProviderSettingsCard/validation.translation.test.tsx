import type { EmailProviderSettings } from '@email-provider/backstage-plugin-email-provider-common';
import { screen } from '@testing-library/react';
import { renderInLanguage } from '../../__testUtils__/renderInLanguage';
import {
  SAVED_MICROSOFT365,
  SAVED_MICROSOFT365_CERTIFICATE,
  SAVED_SMTP,
  SAVED_SMTP_RELAY,
} from '../../__testUtils__/FakeEmailProviderApi';
import {
  Draft,
  draftFromSettings,
  Microsoft365Draft,
  SmtpDraft,
} from './draft';
import {
  FieldErrors,
  useTranslatedFieldErrors,
  validateDraft,
} from './validation';

const CERTIFICATE =
  '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';

function smtp(saved: EmailProviderSettings, fields: Partial<SmtpDraft>): Draft {
  const draft = draftFromSettings(saved);
  return { ...draft, provider: 'smtp', smtp: { ...draft.smtp, ...fields } };
}

function microsoft365(
  saved: EmailProviderSettings,
  fields: Partial<Microsoft365Draft>,
): Draft {
  const draft = draftFromSettings(saved);
  return {
    ...draft,
    provider: 'microsoft365',
    microsoft365: { ...draft.microsoft365, ...fields },
  };
}

const NONE: EmailProviderSettings = { provider: 'none' };

/** Forms that run into every check of the form, with the settings they are checked against. */
const INVALID_FORMS: Array<[Draft, EmailProviderSettings]> = [
  [
    smtp(NONE, {
      host: '',
      port: '',
      from: '',
      fromName: 'x'.repeat(201),
      usernameSameAsFrom: false,
    }),
    NONE,
  ],
  [
    smtp(NONE, {
      host: 'https://smtp.example.com',
      port: '70000',
      from: `${'a'.repeat(250)}@b.co`,
      fromName: 'Two\nlines',
      usernameSameAsFrom: false,
      username: 'a b',
      password: 'a\nb',
    }),
    NONE,
  ],
  [
    smtp(NONE, {
      port: '1.5',
      from: 'not an address',
      usernameSameAsFrom: false,
      username: 'x'.repeat(255),
      password: 'x'.repeat(1025),
    }),
    NONE,
  ],
  [smtp(SAVED_SMTP, { host: 'smtp.example.org' }), SAVED_SMTP],
  [smtp(SAVED_SMTP_RELAY, { authentication: 'password' }), SAVED_SMTP_RELAY],
  [microsoft365(NONE, {}), NONE],
  [
    microsoft365(NONE, {
      tenantId: 'nope',
      clientId: 'nope',
      clientSecret: 'a\nb',
      clientSecretExpiresAt: '2027-02-30',
    }),
    NONE,
  ],
  [microsoft365(NONE, { clientSecret: 'x'.repeat(1025) }), NONE],
  [
    microsoft365(SAVED_MICROSOFT365, { tenantId: 'contoso.com' }),
    SAVED_MICROSOFT365,
  ],
  [
    microsoft365(SAVED_MICROSOFT365_CERTIFICATE, { credential: 'secret' }),
    SAVED_MICROSOFT365_CERTIFICATE,
  ],
  ...[
    '',
    'x'.repeat(32769),
    'no certificate',
    `${CERTIFICATE}-----BEGIN ENCRYPTED PRIVATE KEY-----\nMIIB\n-----END ENCRYPTED PRIVATE KEY-----\n`,
    CERTIFICATE,
  ].map(
    pem =>
      [
        microsoft365(SAVED_MICROSOFT365, {
          credential: 'certificate',
          clientCertificatePem: pem,
        }),
        SAVED_MICROSOFT365,
      ] as [Draft, EmailProviderSettings],
  ),
  [
    microsoft365(SAVED_MICROSOFT365_CERTIFICATE, { clientId: 'contoso.com' }),
    SAVED_MICROSOFT365_CERTIFICATE,
  ],
  [microsoft365(NONE, { credential: 'certificate' }), NONE],
];

/** Every sentence the form's checks say about a field, once each. */
const SENTENCES = [
  ...new Set(
    INVALID_FORMS.flatMap(([draft, saved]) => {
      const result = validateDraft(draft, saved);
      return result.ok ? [] : Object.values(result.errors);
    }),
  ),
];

function TranslatedErrors(props: { errors: FieldErrors }) {
  const translated = useTranslatedFieldErrors(props.errors);
  return (
    <ul>
      {Object.entries(translated).map(([key, message]) => (
        <li key={key} data-testid={key}>
          {message}
        </li>
      ))}
    </ul>
  );
}

/** The sentences as the page shows them in `language`, in the same order. */
async function shown(language: string): Promise<string[]> {
  const errors = Object.fromEntries(
    SENTENCES.map((sentence, index) => [String(index), sentence]),
  );
  renderInLanguage(<TranslatedErrors errors={errors} />, language);
  await screen.findByTestId('0');
  return SENTENCES.map((_, index) => screen.getByTestId(String(index))).map(
    item => item.textContent ?? '',
  );
}

describe('useTranslatedFieldErrors', () => {
  it('reaches every check of the form with these forms', () => {
    // 1 port sentence of the form, 25 of the shared schema, 9 of the secret rule.
    expect(SENTENCES).toHaveLength(35);
  });

  it("shows the checks' sentences in English as the shared schema and secret rule say them", async () => {
    expect(await shown('en')).toEqual(SENTENCES);
  });

  it("translates every one of the checks' sentences into Brazilian Portuguese", async () => {
    const portuguese = await shown('pt-BR');
    const untranslated = SENTENCES.filter(
      (sentence, index) => portuguese[index] === sentence,
    );
    expect(untranslated).toEqual([]);
  });
});
