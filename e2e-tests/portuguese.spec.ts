/*
 * The SMTP flow once in Brazilian Portuguese, as a Brazilian admin goes through it: the language
 * chosen on the settings page, the Email provider page found by its Portuguese name, the form
 * filled by its Portuguese labels, and the test email received in Portuguese from a portal whose
 * language is pt-BR (`emailProvider.locale`).
 */
import { expect, Page, test } from '@playwright/test';
import { readState, restartBackend, writeConfig } from './support/portal';
import {
  screenshot,
  sidebar,
  signInAsGuest,
  SmtpMail,
  waitForMail,
} from './support/steps';

test.describe.configure({ mode: 'serial' });

test.beforeAll(async () => {
  // A restart also starts from an empty database: no provider is active.
  await restartBackend([
    writeConfig(
      readState(),
      'app-config.portuguese.yaml',
      'emailProvider:\n  locale: pt-BR\n',
    ),
  ]);
});

test.afterAll(async () => {
  await restartBackend([]);
});

/** Chooses Brazilian Portuguese with the language selector of the user settings page. */
async function choosePortuguese(page: Page) {
  await sidebar(page).getByRole('link', { name: 'Settings' }).first().click();
  const languageSetting = page
    .getByRole('listitem')
    .filter({ hasText: 'Change the language' });
  await languageSetting.getByRole('button').click();
  await page.getByRole('option', { name: 'Português (Brasil)' }).click();
  await expect(languageSetting.getByRole('button')).toHaveText(
    'Português (Brasil)',
  );
}

test('an admin who reads Portuguese configures SMTP and receives the test email in Portuguese', async ({
  page,
}) => {
  const { smtp, smtpMailFile } = readState();
  await signInAsGuest(page);
  await choosePortuguese(page);
  await screenshot(page, 'pt-01-language-chosen');

  await sidebar(page).getByRole('link', { name: 'Provedor de e-mail' }).click();
  await expect(
    page.getByRole('heading', { level: 1, name: 'Provedor de e-mail' }),
  ).toBeVisible();
  await expect(page.getByRole('tab', { name: 'Configurações' })).toBeVisible();

  await page.getByRole('radio', { name: 'SMTP' }).check();
  await page.getByLabel('Endereço do servidor').fill('localhost');
  await page.getByLabel('Segurança').selectOption('StartTLS');
  await page.getByLabel('Porta', { exact: true }).fill(String(smtp.port));
  await page
    .getByLabel('Endereço de e-mail do remetente', { exact: true })
    .fill('portal@example.com.br');
  await page
    .getByRole('checkbox', { name: 'Igual ao endereço de e-mail do remetente' })
    .uncheck();
  await page.getByLabel('Nome de usuário', { exact: true }).fill(smtp.username);
  await page.getByLabel('Senha', { exact: true }).fill(smtp.password);
  await screenshot(page, 'pt-02-smtp-filled');

  await page.getByRole('button', { name: 'Salvar' }).click();
  await expect(
    page.getByText(`Ativo: SMTP (localhost:${smtp.port}, StartTLS)`),
  ).toBeVisible();
  await expect(page.getByLabel('Senha', { exact: true })).toHaveValue('');
  await screenshot(page, 'pt-03-smtp-saved');

  await page.getByRole('button', { name: 'Enviar e-mail de teste' }).click();
  const dialog = page.getByRole('dialog', {
    name: 'Enviar um e-mail de teste',
  });
  await dialog.getByLabel('Destinatário').fill('bia@example.com.br');
  await dialog.getByRole('button', { name: 'Enviar', exact: true }).click();
  await expect(dialog.getByText('E-mail de teste enviado.')).toBeVisible();
  await screenshot(page, 'pt-04-test-email-sent');

  const mail = await waitForMail<SmtpMail>(smtpMailFile, m =>
    m.envelope.to.includes('bia@example.com.br'),
  );
  expect(mail).toMatchObject({
    envelope: { from: 'portal@example.com.br', to: ['bia@example.com.br'] },
    user: smtp.username,
    subject: 'E-mail de teste da administração de Backstage Email Portal',
  });
  await dialog.getByRole('button', { name: 'Fechar' }).click();
  await expect(dialog).toBeHidden();
});
