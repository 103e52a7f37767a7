import { screen, waitFor, within } from '@testing-library/react';
import {
  messageRow as row,
  messagesTable,
  renderDeliveriesCard,
  suppressionRow,
  suppressionsTable,
} from '../../__testUtils__/deliveriesCard';
import {
  deliveryRecord,
  FAILED_DELIVERY,
  FakeEmailProviderApi,
  suppression,
} from '../../__testUtils__/FakeEmailProviderApi';

const renderInPortuguese = (api: FakeEmailProviderApi) =>
  renderDeliveriesCard(api, { language: 'pt-BR' });

const table = () => messagesTable('Mensagens recentes');

function apiWithLog() {
  const api = new FakeEmailProviderApi();
  api.messages = [
    deliveryRecord({ id: 'sent-1', subject: 'Weekly report' }),
    FAILED_DELIVERY,
  ];
  api.summary = {
    lastSuccessAt: '2026-11-29T08:00:01.000Z',
    lastFailureAt: '2026-11-29T07:30:00.000Z',
    waiting: 0,
    failedLast24Hours: 1,
  };
  return api;
}

describe('EmailDeliveriesCard in Brazilian Portuguese', () => {
  it('says the log, its columns, statuses and pager in Portuguese', async () => {
    renderInPortuguese(apiWithLog());
    const messages = await table();

    expect(
      within(messages)
        .getAllByRole('columnheader')
        .map(header => header.textContent),
    ).toEqual([
      'Horário',
      'Origem',
      'Categoria',
      'Assunto',
      'Destinatários',
      'Status',
      'Tentativas',
      'Último erro',
    ]);
    const failed = row('failed-1');
    expect(within(failed).getAllByRole('cell')[5]).toHaveTextContent('Falhou');
    expect(
      within(failed).getByRole('button', { name: 'Tentar novamente' }),
    ).toBeVisible();
    expect(failed).toHaveTextContent(
      'Código connection-refused; o servidor respondeu connect ECONNREFUSED 192.0.2.10:587',
    );
    const sent = row('sent-1');
    expect(within(sent).getAllByRole('cell')[5]).toHaveTextContent('Enviada');
    expect(sent).toHaveTextContent('enviada em');
    // Dates in the page's language, whatever the time zone the tests run in.
    expect(
      within(failed).getByText(/^\d{1,2} de nov\. de 2026/),
    ).toHaveAttribute('datetime', FAILED_DELIVERY.createdAt);

    expect(screen.getByText('1–2 de 2')).toBeInTheDocument();
    expect(
      screen.getByRole('combobox', { name: 'Linhas por página' }),
    ).toBeInTheDocument();
    expect(
      screen.getByRole('button', { name: 'Próxima página' }),
    ).toBeDisabled();
    expect(screen.getByRole('button', { name: 'Exportar CSV' })).toBeVisible();
    expect(screen.getByRole('button', { name: 'Atualizar' })).toBeVisible();
    expect(
      await screen.findByText(
        /^Atualizado às .+; atualiza a cada 10 segundos$/,
      ),
    ).toBeVisible();

    const summary = screen.getByTestId('email-deliveries-summary');
    expect(summary).toHaveTextContent('Mensagens aguardando0');
    expect(summary).toHaveTextContent('Falhas nas últimas 24 horas1');
  });

  it('says when no message has the status filtered on, in a whole sentence', async () => {
    const user = renderInPortuguese(apiWithLog());
    await table();
    const status = screen.getByRole('combobox', { name: 'Status' });
    expect(
      within(status)
        .getAllByRole('option')
        .map(option => option.textContent),
    ).toEqual([
      'Todos',
      'Na fila',
      'Enviando',
      'Enviada',
      'Falhou',
      'Suprimida',
    ]);

    await user.selectOptions(status, 'Enviando');
    expect(
      await screen.findByText('Nenhuma mensagem sendo enviada.'),
    ).toBeVisible();
  });

  it('says the suppressed addresses and their removal in Portuguese', async () => {
    const api = apiWithLog();
    api.messages = [
      deliveryRecord({
        id: 'suppressed-1',
        status: 'suppressed',
        subject: 'Resumo do catálogo',
      }),
    ];
    api.suppressions = [
      suppression({
        id: 's-ada',
        address: 'ada@example.com',
        description: 'Notificações do catálogo',
        source: 'confirmation-page',
      }),
    ];
    const user = renderInPortuguese(api);
    await table();
    const suppressed = within(row('suppressed-1')).getAllByRole('cell');
    expect(suppressed[5]).toHaveTextContent('Suprimida');
    expect(suppressed[7]).toHaveTextContent(
      'Não enviada: o destinatário cancelou a inscrição.',
    );

    const addresses = await suppressionsTable('Endereços descadastrados');
    expect(
      within(addresses)
        .getAllByRole('columnheader')
        .map(header => header.textContent),
    ).toEqual([
      'Endereço',
      'Descadastrado de',
      'Plugin remetente',
      'Canal',
      'Descadastrado em',
      'Ações',
    ]);
    const ada = suppressionRow('s-ada');
    expect(ada).toHaveTextContent('Página de cancelamento da inscrição');
    expect(ada).toHaveTextContent('lista notification:plugin:catalog');
    expect(within(ada).getByText(/^\d{1,2} de nov\. de 2026/)).toBeVisible();
    expect(
      screen.getByRole('textbox', { name: 'Endereço' }),
    ).toHaveAccessibleDescription('O endereço completo, como nome@exemplo.com');

    await user.click(
      within(ada).getByRole('button', {
        name: 'Remover a supressão de ada@example.com',
      }),
    );
    const dialog = await screen.findByRole('dialog', {
      name: 'Remover a supressão de ada@example.com?',
    });
    expect(dialog).toHaveTextContent(
      'ada@example.com voltará a receber as mensagens de “Notificações do catálogo” de plugin:notifications.',
    );
    await user.click(within(dialog).getByRole('button', { name: 'Remover' }));
    expect(
      await screen.findByTestId('email-suppressions-remove-outcome'),
    ).toHaveTextContent(
      'Supressão removida: ada@example.com voltará a receber as mensagens de “Notificações do catálogo” de plugin:notifications.',
    );
    expect(
      await screen.findByText('Nenhum endereço cancelou a inscrição.'),
    ).toBeVisible();
  });

  it('says when nothing was sent yet', async () => {
    renderInPortuguese(new FakeEmailProviderApi());
    const messages = await table();
    await waitFor(() =>
      expect(within(messages).getByRole('cell')).toHaveTextContent(
        'Nenhuma mensagem ainda: nenhum plugin enviou e-mail pelo portal.',
      ),
    );
    expect(screen.getByTestId('email-deliveries-summary')).toHaveTextContent(
      'Último envio bem-sucedidoNenhum ainda',
    );
    expect(await screen.findByText('Mensagens por hora')).toBeVisible();
  });
});
