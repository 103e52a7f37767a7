import { screen, waitFor, within } from '@testing-library/react';
import {
  messageRow as row,
  messagesTable,
  renderDeliveriesCard,
} from '../../__testUtils__/deliveriesCard';
import {
  deliveryRecord,
  FAILED_DELIVERY,
  FakeEmailProviderApi,
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
    ).toEqual(['Todos', 'Na fila', 'Enviando', 'Enviada', 'Falhou']);

    await user.selectOptions(status, 'Enviando');
    expect(
      await screen.findByText('Nenhuma mensagem sendo enviada.'),
    ).toBeVisible();
  });

  it('says when nothing was sent yet', async () => {
    renderInPortuguese(new FakeEmailProviderApi());
    await table();
    await waitFor(() =>
      expect(screen.getByRole('cell')).toHaveTextContent(
        'Nenhuma mensagem ainda: nenhum plugin enviou e-mail pelo portal.',
      ),
    );
    expect(screen.getByTestId('email-deliveries-summary')).toHaveTextContent(
      'Último envio bem-sucedidoNenhum ainda',
    );
    expect(await screen.findByText('Mensagens por hora')).toBeVisible();
  });
});
