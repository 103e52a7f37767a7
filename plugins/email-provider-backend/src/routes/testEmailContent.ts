import type {
  LoggerService,
  RootConfigService,
} from '@backstage/backend-plugin-api';
import type { SmtpSecurity } from '@email-provider/backstage-plugin-email-provider-common';

export const TEST_EMAIL_LOCALE_CONFIG_KEY = 'emailProvider.locale';

/** The languages the test email is written in: the portal's, from `emailProvider.locale`. */
export type TestEmailLocale = 'en' | 'pt-BR';

/** Every sentence and label of the test email, in one language. */
export type TestEmailTexts = {
  subject(appTitle: string): string;
  intro(options: { appTitle: string; requestedBy: string; at: string }): string;
  outro: string;
  smtpProvider: string;
  microsoft365Provider: string;
  server(address: string, security: SmtpSecurity): string;
  sender(sender: string): string;
  username(username: string): string;
  tenantId(tenantId: string): string;
  clientId(clientId: string): string;
};

const ENGLISH_SECURITY: Record<SmtpSecurity, string> = {
  starttls: 'StartTLS',
  tls: 'SSL/TLS',
  none: 'no encryption',
};

const PORTUGUESE_SECURITY: Record<SmtpSecurity, string> = {
  starttls: 'StartTLS',
  tls: 'SSL/TLS',
  none: 'sem criptografia',
};

export const TEST_EMAIL_TEXTS: Record<TestEmailLocale, TestEmailTexts> = {
  en: {
    subject: appTitle => `Test email from ${appTitle} administration`,
    intro: ({ appTitle, requestedBy, at }) =>
      `This is a test email from ${appTitle}, requested by ${requestedBy} at ${at}.`,
    outro: 'If you can read this, the portal can send email.',
    smtpProvider: 'Provider: SMTP',
    microsoft365Provider: 'Provider: Microsoft 365 (Microsoft Graph)',
    server: (address, security) =>
      `Server: ${address} (${ENGLISH_SECURITY[security]})`,
    sender: sender => `Sender: ${sender}`,
    username: username => `Username: ${username}`,
    tenantId: tenantId => `Tenant ID: ${tenantId}`,
    clientId: clientId => `Client ID: ${clientId}`,
  },
  'pt-BR': {
    subject: appTitle => `E-mail de teste da administração de ${appTitle}`,
    intro: ({ appTitle, requestedBy, at }) =>
      `Este é um e-mail de teste de ${appTitle}, solicitado por ${requestedBy} em ${at}.`,
    outro: 'Se você consegue ler isto, o portal consegue enviar e-mails.',
    smtpProvider: 'Provedor: SMTP',
    microsoft365Provider: 'Provedor: Microsoft 365 (Microsoft Graph)',
    server: (address, security) =>
      `Servidor: ${address} (${PORTUGUESE_SECURITY[security]})`,
    sender: sender => `Remetente: ${sender}`,
    username: username => `Nome de usuário: ${username}`,
    tenantId: tenantId => `ID do locatário: ${tenantId}`,
    clientId: clientId => `ID do cliente: ${clientId}`,
  },
};

/**
 * The test email's language, from `emailProvider.locale`: `en` (the default) or `pt-BR`, in any
 * letter case; `pt` means `pt-BR` and `en-…` English. Any other value gives English and one
 * warning at startup, rather than stopping a portal over the language of a test email.
 */
export function readTestEmailLocale(
  config: RootConfigService,
  logger: LoggerService,
): TestEmailLocale {
  const value = config.getOptionalString(TEST_EMAIL_LOCALE_CONFIG_KEY);
  if (value === undefined) {
    return 'en';
  }
  const tag = value.trim().toLowerCase();
  if (tag === 'pt' || tag === 'pt-br') {
    return 'pt-BR';
  }
  if (tag === 'en' || tag.startsWith('en-')) {
    return 'en';
  }
  logger.warn(
    `${TEST_EMAIL_LOCALE_CONFIG_KEY} is '${value}', a language the test email does not come in; it is sent in English. Set en or pt-BR.`,
  );
  return 'en';
}
