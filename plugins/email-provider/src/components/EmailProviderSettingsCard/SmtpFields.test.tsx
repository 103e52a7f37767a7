import { secretRequiredIssue } from '@email-provider/backstage-plugin-email-provider-common';
import { screen, within } from '@testing-library/react';
import { renderInLanguage } from '../../__testUtils__/renderInLanguage';
import { draftFromSettings, SmtpDraft } from './draft';
import { SmtpFields } from './SmtpFields';
import { FieldErrors } from './validation';

function renderSmtpFields(smtp: Partial<SmtpDraft>, errors: FieldErrors = {}) {
  renderInLanguage(
    <SmtpFields
      smtp={{ ...draftFromSettings({ provider: 'none' }).smtp, ...smtp }}
      onChange={() => {}}
      errors={errors}
      secret={{ saved: true, required: false }}
      readOnly={false}
      managed={false}
    />,
    'pt-BR',
  );
}

describe('SmtpFields in Brazilian Portuguese', () => {
  it('names every control in Portuguese', async () => {
    renderSmtpFields({});

    expect(
      await screen.findByLabelText('Endereço do servidor'),
    ).toBeInTheDocument();
    expect(screen.getByLabelText('Porta')).toHaveValue('587');
    const security = screen.getByRole('combobox', { name: 'Segurança' });
    expect(
      within(security)
        .getAllByRole('option')
        .map(option => option.textContent),
    ).toEqual(['StartTLS', 'SSL/TLS', 'Nenhuma']);
    expect(
      screen.getByLabelText('Endereço de e-mail do remetente'),
    ).toBeInTheDocument();
    expect(screen.getByLabelText('Nome do remetente')).toBeInTheDocument();
    expect(
      screen.getByRole('checkbox', { name: 'O servidor exige autenticação' }),
    ).toBeChecked();
    expect(
      screen.getByRole('checkbox', {
        name: 'Igual ao endereço de e-mail do remetente',
      }),
    ).toBeChecked();
    expect(
      screen.getByLabelText('Nome de usuário'),
    ).toHaveAccessibleDescription(
      'Faz login com o endereço de e-mail do remetente. Desmarque "Igual ao endereço de e-mail do remetente" para fazer login com outro nome de usuário.',
    );
    expect(screen.getByLabelText('Senha')).toHaveAccessibleDescription(
      'Há uma senha salva. Deixe em branco para mantê-la ou digite uma nova para substituí-la.',
    );
  });

  it('hints in Portuguese at the port of the other security mode', async () => {
    renderSmtpFields({ port: '465' });

    expect(await screen.findByLabelText('Porta')).toHaveAccessibleDescription(
      'A porta 465 normalmente usa SSL/TLS, não StartTLS. Normalmente 587 (StartTLS), 465 (SSL/TLS) ou 25 (Nenhuma).',
    );
  });

  it("says the form's checks in Portuguese, and a server's own sentence as it came", async () => {
    renderSmtpFields(
      { host: '', port: '1.5', usernameSameAsFrom: false },
      {
        'smtp.host': 'Server address is required',
        'smtp.port': 'Port must be a whole number between 1 and 65535',
        'smtp.username': 'Username is rejected by the relay',
        'smtp.password': secretRequiredIssue(
          'smtp.password',
          'destination-changed',
        ).message,
      },
    );

    expect(
      await screen.findByLabelText('Endereço do servidor'),
    ).toHaveAccessibleDescription('O endereço do servidor é obrigatório');
    expect(screen.getByLabelText('Porta')).toHaveAccessibleDescription(
      'A porta deve ser um número inteiro entre 1 e 65535',
    );
    expect(
      screen.getByLabelText('Nome de usuário'),
    ).toHaveAccessibleDescription('Username is rejected by the relay');
    expect(screen.getByLabelText('Senha')).toHaveAccessibleDescription(
      'A senha é obrigatória: o endereço do servidor, a porta, a segurança ou o nome de usuário mudou, e uma senha salva nunca é enviada a um novo destino',
    );
  });
});
