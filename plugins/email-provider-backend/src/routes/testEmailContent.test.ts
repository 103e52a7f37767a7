import { mockServices } from '@backstage/backend-test-utils';
import { startMailTestServersBeforeAll } from '@internal/mail-test-servers';
import {
  ADMIN,
  allowEveryone,
  startEmailProviderTestBackend,
} from '../__testUtils__/emailProviderTestBackend';
import { localSmtpSettings } from '../__testUtils__/testSettings';
import { readTestEmailLocale } from './testEmailContent';

jest.setTimeout(30_000);

const PASSWORD = 'locale-test-Pa55word';
const FROM = 'portal@example.com';

const servers = startMailTestServersBeforeAll({
  smtp: { credentials: { username: FROM, password: PASSWORD } },
  trustCa: true,
});

/** The locale read from `emailProvider.locale`, and what was logged while reading it. */
function readLocale(locale?: string) {
  const logger = mockServices.logger.mock();
  const config = mockServices.rootConfig({
    data: locale === undefined ? {} : { emailProvider: { locale } },
  });
  return { locale: readTestEmailLocale(config, logger), logger };
}

describe('readTestEmailLocale', () => {
  it.each([
    [undefined, 'en'],
    ['en', 'en'],
    ['en-GB', 'en'],
    ['pt-BR', 'pt-BR'],
    ['pt-br', 'pt-BR'],
    ['pt', 'pt-BR'],
  ])('reads %s as %s, silently', (value, expected) => {
    const { locale, logger } = readLocale(value);
    expect(locale).toBe(expected);
    expect(logger.warn).not.toHaveBeenCalled();
  });

  it('falls back to English for a language the test email does not come in, naming the key', () => {
    const { locale, logger } = readLocale('de-DE');
    expect(locale).toBe('en');
    expect(logger.warn).toHaveBeenCalledTimes(1);
    expect(logger.warn).toHaveBeenCalledWith(
      "emailProvider.locale is 'de-DE', a language the test email does not come in; it is sent in English. Set en or pt-BR.",
    );
  });
});

/** Starts a portal with `locale`, activates the test SMTP server and sends the test email. */
async function sendTestEmailWith(locale: string, appTitle = 'ACME Portal') {
  const portal = await startEmailProviderTestBackend({
    permissions: allowEveryone,
    config: { app: { title: appTitle } },
    emailProvider: { locale },
  });
  try {
    const saved = await portal.api(
      'put',
      '/settings',
      undefined,
      localSmtpSettings(
        { port: servers.smtp.port, from: FROM, password: PASSWORD },
        { fromName: 'Portal', security: 'starttls' },
      ),
    );
    expect(saved.status).toBe(200);
    const before = servers.smtp.received.length;
    const sent = await portal.api('post', '/test-email', undefined, {
      to: 'ada@example.com',
    });
    expect(sent.status).toBe(200);
    return { mail: servers.smtp.received[before], logs: portal.logs };
  } finally {
    await portal.stop();
  }
}

describe('the test email in the portal language', () => {
  it('arrives in Brazilian Portuguese with emailProvider.locale pt-BR', async () => {
    const { mail } = await sendTestEmailWith('pt-BR');
    expect(mail.parsed.subject).toBe(
      'E-mail de teste da administração de ACME Portal',
    );
    const lines = mail.parsed.text!.trim().split('\n');
    expect(lines[0]).toMatch(
      new RegExp(
        `^Este é um e-mail de teste de ACME Portal, solicitado por ${ADMIN} em \\d{4}-\\d{2}-\\d{2}T[\\d:.]+Z\\.$`,
      ),
    );
    expect(lines.slice(1)).toEqual([
      '',
      'Provedor: SMTP',
      `Servidor: localhost:${servers.smtp.port} (StartTLS)`,
      `Remetente: Portal <${FROM}>`,
      `Nome de usuário: ${FROM}`,
      '',
      'Se você consegue ler isto, o portal consegue enviar e-mails.',
    ]);
    expect(mail.parsed.html).toContain(
      '<li>Remetente: Portal &lt;portal@example.com&gt;</li>',
    );
  });

  it('escapes the portal title in the HTML body in Portuguese too', async () => {
    const { mail } = await sendTestEmailWith('pt', 'R&D <Portal>');
    expect(mail.parsed.subject).toBe(
      'E-mail de teste da administração de R&D <Portal>',
    );
    expect(mail.parsed.html).toContain(
      '<p>Este é um e-mail de teste de R&amp;D &lt;Portal&gt;, solicitado por',
    );
  });

  it('arrives in English, with one warning naming the key, for a language it does not come in', async () => {
    const { mail, logs } = await sendTestEmailWith('fr');
    expect(mail.parsed.subject).toBe(
      'Test email from ACME Portal administration',
    );
    expect(mail.parsed.text).toContain('Provider: SMTP');
    expect(logs.filter(line => line.includes('emailProvider.locale'))).toEqual([
      expect.stringMatching(/^warn: emailProvider\.locale is 'fr'/),
    ]);
  });
});
