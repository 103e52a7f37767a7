import { screen, within } from '@testing-library/react';
import { renderInLanguage } from '../../__testUtils__/renderInLanguage';
import { SAVED_MICROSOFT365_CERTIFICATE } from '../../__testUtils__/FakeEmailProviderApi';
import { draftFromSettings, Microsoft365Draft } from './draft';
import { Microsoft365Fields } from './Microsoft365Fields';
import { SecretState } from './validation';

function renderMicrosoft365Fields(
  microsoft365: Partial<Microsoft365Draft>,
  secret: SecretState,
) {
  renderInLanguage(
    <Microsoft365Fields
      microsoft365={{
        ...draftFromSettings({ provider: 'none' }).microsoft365,
        ...microsoft365,
      }}
      onChange={() => {}}
      errors={{}}
      secret={secret}
      savedCertificate={SAVED_MICROSOFT365_CERTIFICATE.microsoft365.certificate}
      readOnly={false}
      managed={false}
    />,
    'pt-BR',
  );
}

describe('Microsoft365Fields in Brazilian Portuguese', () => {
  it('names every control in Portuguese', async () => {
    renderMicrosoft365Fields(
      {},
      { saved: false, required: true, reason: 'missing' },
    );

    expect(await screen.findByLabelText('ID do locatário')).toBeInTheDocument();
    expect(screen.getByLabelText('ID do cliente')).toBeInTheDocument();
    expect(
      screen.getByLabelText('Segredo do cliente'),
    ).toHaveAccessibleDescription(
      'Registros de aplicativo → seu aplicativo → Certificados e segredos: o Valor do segredo (mostrado uma única vez, quando é criado), não a ID do segredo. Armazenado criptografado e nunca mais exibido.',
    );
    expect(
      screen.getByLabelText('Endereço de e-mail do remetente'),
    ).toBeInTheDocument();
    expect(
      within(screen.getByRole('combobox', { name: 'Nuvem' }))
        .getAllByRole('option')
        .map(option => option.textContent),
    ).toEqual([
      'Global',
      'Governo dos EUA (GCC High)',
      'Governo dos EUA (DoD)',
      'China (21Vianet)',
    ]);
    expect(
      within(screen.getByRole('combobox', { name: 'Credencial' }))
        .getAllByRole('option')
        .map(option => option.textContent),
    ).toEqual(['Segredo', 'Certificado']);
    expect(
      screen.getByText(/^O portal envia como uma caixa de correio/),
    ).toHaveTextContent(
      /permissão de aplicativo Mail\.Send do Microsoft Graph/,
    );
  });

  it('describes the saved certificate in Portuguese', async () => {
    renderMicrosoft365Fields(
      { credential: 'certificate' },
      { saved: true, required: false },
    );

    const field = await screen.findByLabelText(
      'Certificado e chave privada (PEM)',
    );
    expect(field).toHaveAttribute('placeholder', '•••••••• salvo');
    expect(field).toHaveAccessibleDescription(
      'Há um certificado salvo. Impressão digital 3A1F0C5E9B7D2A4C6E8F0A1B2C3D4E5F60718293, assunto CN=portal.contoso.com, expira em 2028-03-31. Deixe em branco para mantê-lo ou cole um novo para substituí-lo.',
    );
  });
});
