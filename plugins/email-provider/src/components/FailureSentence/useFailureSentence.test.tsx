import { screen } from '@testing-library/react';
import { renderInLanguage } from '../../__testUtils__/renderInLanguage';
import { FailureToExplain, useFailureSentence } from './useFailureSentence';

function Sentences({ failures }: { failures: FailureToExplain[] }) {
  const explain = useFailureSentence();
  return (
    <ul>
      {failures.map((failure, index) => (
        <li key={index}>{explain(failure)}</li>
      ))}
    </ul>
  );
}

/** The sentences as the page shows them in `language`. */
async function sentencesOf(
  failures: FailureToExplain[],
  language: 'en' | 'pt-BR',
): Promise<string[]> {
  renderInLanguage(<Sentences failures={failures} />, language);
  const items = await screen.findAllByRole('listitem');
  return items.map(item => item.textContent ?? '');
}

const authFailed: FailureToExplain = {
  code: 'auth-failed',
  message:
    'The server rejected the username or password (535 5.7.8). Check both; providers such as Gmail and Microsoft 365 need an app password or SMTP AUTH enabled for the mailbox.',
  params: { reply: '535 5.7.8' },
};

describe('useFailureSentence', () => {
  it('says a known failure in Portuguese, with its params', async () => {
    const sentences = await sentencesOf(
      [
        authFailed,
        {
          code: 'tls-mismatch',
          message:
            'Port 465 expects SSL/TLS from the start, not StartTLS; choose SSL/TLS.',
          params: { reason: 'starttls-on-tls-port', port: 465 },
        },
        {
          code: 'secret-invalid',
          message:
            "Microsoft Entra rejected the client secret (AADSTS7000215): paste the secret's Value, not its Secret ID",
          params: { aadsts: '7000215' },
        },
        {
          code: 'timeout',
          message:
            'Microsoft Graph at https://graph.microsoft.com did not answer in time; try again later',
          params: {
            reason: 'service',
            service: 'graph',
            url: 'https://graph.microsoft.com',
          },
        },
      ],
      'pt-BR',
    );

    expect(sentences).toEqual([
      'O servidor recusou o nome de usuário ou a senha (535 5.7.8). Confira os dois; provedores como Gmail e Microsoft 365 exigem uma senha de app ou o SMTP AUTH habilitado para a caixa de correio.',
      'A porta 465 espera SSL/TLS desde o início, não StartTLS; escolha SSL/TLS.',
      'AADSTS7000215: o segredo do cliente está errado; cole o Valor do segredo, não o ID do segredo.',
      'O Microsoft Graph em https://graph.microsoft.com não respondeu a tempo; tente novamente mais tarde.',
    ]);
  });

  it("falls back to the backend's sentence for what the page does not know", async () => {
    const unknownCode = {
      code: 'quota-exceeded',
      message: 'The tenant has used its daily quota; try again tomorrow.',
      params: { quota: 10000 },
    };
    const unknownReason = {
      code: 'tls-mismatch',
      message: 'Port 2525 speaks something new.',
      params: { reason: 'something-new', port: 2525 },
    };
    const missingParams = {
      code: 'connection-refused',
      message:
        'Nothing accepts connections at mail.example.com:25; check the server address and port, and that a firewall lets the portal through.',
      params: { host: 'mail.example.com' },
    };
    const storedWithoutParams = {
      code: 'relay-denied',
      message:
        'mail.example.com:25 refused to pass the message on (554 5.7.1).',
    };
    const unknownService = {
      code: 'timeout',
      message: 'Some service did not answer in time; try again later',
      params: { reason: 'service', service: 'teams', url: 'https://x.test' },
    };

    expect(
      await sentencesOf(
        [
          unknownCode,
          unknownReason,
          missingParams,
          storedWithoutParams,
          unknownService,
        ],
        'pt-BR',
      ),
    ).toEqual([
      unknownCode.message,
      unknownReason.message,
      missingParams.message,
      storedWithoutParams.message,
      unknownService.message,
    ]);
  });

  it('says it in English as the backend does', async () => {
    const redirect = {
      code: 'provider-error',
      message:
        'The Microsoft Entra token endpoint at https://login.microsoftonline.com answered with a redirect (HTTP 307 to https://elsewhere.example), which is not followed so that no credential goes to another server: set emailProvider.microsoft365.authorityHost to the service itself',
      params: {
        reason: 'redirect',
        service: 'entra',
        url: 'https://login.microsoftonline.com',
        httpStatus: 307,
        target: 'https://elsewhere.example',
        setting: 'authorityHost',
      },
    };

    // A row stored by an older backend, whose sentence has since been reworded.
    const olderWording = {
      code: 'host-not-found',
      message: 'mail.example.com was not found.',
      params: { host: 'mail.example.com' },
    };

    expect(
      await sentencesOf([authFailed, redirect, olderWording], 'en'),
    ).toEqual([
      authFailed.message,
      redirect.message,
      "The server address mail.example.com does not resolve; check its spelling and the portal's DNS.",
    ]);
  });
});
