import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { emailProviderApiRef } from '../../api';
import {
  FakeEmailProviderApi,
  SAVED_SMTP,
} from '../../__testUtils__/FakeEmailProviderApi';
import { renderInLanguage } from '../../__testUtils__/renderInLanguage';
import { EmailProviderSettingsCard } from './EmailProviderSettingsCard';

/** Renders the card for an admin in an app whose language is Brazilian Portuguese. */
async function renderInPortuguese(api: FakeEmailProviderApi) {
  api.access = {
    settings: { read: true, update: true },
    deliveries: { read: true },
    adminsConfigured: true,
  };
  renderInLanguage(<EmailProviderSettingsCard />, 'pt-BR', {
    apis: [[emailProviderApiRef, api]],
  });
  await screen.findByRole('radiogroup', { name: 'Provedor' });
  return userEvent.setup();
}

describe('EmailProviderSettingsCard in Brazilian Portuguese', () => {
  it('says the status, the buttons and the result of the connection check in Portuguese', async () => {
    const user = await renderInPortuguese(new FakeEmailProviderApi(SAVED_SMTP));

    expect(screen.getByTestId('email-provider-status')).toHaveTextContent(
      /^Ativo: SMTP \(smtp\.example\.com:587, StartTLS\), desde .*2026.*, alterado por user:default\/ada\.$/,
    );
    expect(screen.getByRole('button', { name: 'Salvar' })).toBeEnabled();
    expect(
      screen.getByRole('button', { name: 'Enviar e-mail de teste' }),
    ).toBeEnabled();

    await user.click(screen.getByRole('button', { name: 'Verificar conexão' }));
    expect(
      await screen.findByRole('heading', {
        name: 'Verificação de conexão das configurações salvas',
      }),
    ).toBeInTheDocument();
    expect(
      screen.getByText(
        'A conexão funciona: todas as etapas foram aprovadas. Nada foi enviado.',
      ),
    ).toBeVisible();
    const steps = screen.getByRole('list', {
      name: 'Etapas da verificação de conexão',
    });
    expect(steps).toHaveTextContent(
      'Resolução do endereço do servidor: aprovada (3 ms)',
    );
    expect(within(steps).getAllByTitle('aprovada')).toHaveLength(2);
  });

  it('asks in Portuguese before None deletes the saved settings', async () => {
    const api = new FakeEmailProviderApi(SAVED_SMTP);
    const user = await renderInPortuguese(api);

    await user.click(screen.getByRole('radio', { name: 'Nenhum' }));
    expect(
      screen.getByText(
        'Ao salvar “Nenhum”, as configurações salvas de SMTP são excluídas e o portal deixa de enviar e-mails.',
      ),
    ).toBeVisible();
    await user.click(screen.getByRole('button', { name: 'Salvar' }));

    const dialog = await screen.findByRole('dialog', {
      name: 'Excluir todas as configurações de e-mail?',
    });
    expect(dialog).toHaveTextContent(
      'Todas as configurações salvas serão excluídas: SMTP (smtp.example.com:587, StartTLS), incluindo a senha.',
    );
    await user.click(within(dialog).getByRole('button', { name: 'Cancelar' }));
    await waitFor(() =>
      expect(screen.queryByRole('dialog')).not.toBeInTheDocument(),
    );
    expect(api.deleteSettings).not.toHaveBeenCalled();

    await user.click(screen.getByRole('button', { name: 'Salvar' }));
    await user.click(
      await screen.findByRole('button', {
        name: 'Excluir todas as configurações',
      }),
    );
    expect(
      await screen.findByText(
        'Salvo: todas as configurações de e-mail foram excluídas e nenhum provedor está ativo.',
      ),
    ).toBeVisible();
  });

  it('says in Portuguese how many fields stop the save', async () => {
    const user = await renderInPortuguese(new FakeEmailProviderApi());

    await user.click(screen.getByRole('radio', { name: 'SMTP' }));
    await user.click(screen.getByRole('button', { name: 'Salvar' }));
    expect(await screen.findByRole('alert')).toHaveTextContent(
      /^As configurações não foram salvas: \d+ campos precisam de atenção\./,
    );
  });

  it('sends the test email in Portuguese', async () => {
    const api = new FakeEmailProviderApi(SAVED_SMTP);
    const user = await renderInPortuguese(api);

    await user.click(
      screen.getByRole('button', { name: 'Enviar e-mail de teste' }),
    );
    const dialog = await screen.findByRole('dialog', {
      name: 'Enviar um e-mail de teste',
    });
    expect(dialog).toHaveTextContent(
      'O e-mail de teste é enviado agora com as configurações salvas: SMTP (smtp.example.com:587, StartTLS).',
    );
    const recipient = within(dialog).getByLabelText('Destinatário');
    await user.clear(recipient);
    await user.type(recipient, 'ada');
    await user.click(within(dialog).getByRole('button', { name: 'Enviar' }));
    expect(recipient).toHaveAccessibleDescription(
      expect.stringContaining('O destinatário deve ser um único endereço'),
    );
    expect(api.sendTestEmail).not.toHaveBeenCalled();

    await user.clear(recipient);
    await user.type(recipient, 'ada@example.com');
    await user.click(within(dialog).getByRole('button', { name: 'Enviar' }));
    expect(
      await within(dialog).findByText('E-mail de teste enviado.'),
    ).toBeVisible();
  });
});
