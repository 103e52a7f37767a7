import { act, screen, waitFor, within } from '@testing-library/react';
import {
  messageRow as row,
  messageRows as rows,
  messagesTable as table,
  renderDeliveriesCard as renderCard,
} from '../../__testUtils__/deliveriesCard';
import {
  deliveryRecord,
  FAILED_DELIVERY,
  FakeEmailProviderApi,
  responseError,
  SAVED_MICROSOFT365,
  SAVED_MICROSOFT365_CERTIFICATE,
} from '../../__testUtils__/FakeEmailProviderApi';

/** The day `days` from the local today, `YYYY-MM-DD`. */
function dayFromToday(days: number): string {
  const now = new Date();
  return new Date(
    Date.UTC(now.getFullYear(), now.getMonth(), now.getDate() + days),
  )
    .toISOString()
    .slice(0, 10);
}

const SENT = deliveryRecord({
  id: 'sent-1',
  subject: 'Weekly report',
  caller: 'plugin:reports',
  category: 'weekly-report',
  recipientsCount: 3,
  attempts: 1,
  createdAt: '2026-11-29T08:00:00.000Z',
  sentAt: '2026-11-29T08:00:02.000Z',
});

const RETRYING = deliveryRecord({
  id: 'queued-1',
  status: 'queued',
  subject: 'Build broken',
  caller: 'plugin:alerts',
  category: undefined,
  recipientsCount: 1,
  attempts: 2,
  nextAttemptAt: '2026-11-29T08:10:00.000Z',
  lastError: {
    code: 'timeout',
    message:
      'smtp.example.com:587 did not answer within 10 seconds; check the port and that a firewall lets the portal through.',
  },
});

function apiWithLog() {
  const api = new FakeEmailProviderApi();
  api.messages = [RETRYING, SENT, FAILED_DELIVERY];
  api.summary = {
    lastSuccessAt: '2026-11-29T08:00:02.000Z',
    lastFailureAt: '2026-11-29T07:30:00.000Z',
    waiting: 1,
    failedLast24Hours: 1,
  };
  return api;
}

describe('EmailDeliveriesCard', () => {
  it('shows the health summary', async () => {
    renderCard(apiWithLog());
    await table();
    const summary = screen.getByTestId('email-deliveries-summary');
    expect(summary).toHaveTextContent('Last success');
    expect(summary).toHaveTextContent('Last failure');
    expect(summary).toHaveTextContent('Messages waiting1');
    expect(summary).toHaveTextContent('Failed in the last 24 hours1');
    expect(within(summary).getAllByText(/2026/)[0]).toHaveAttribute(
      'datetime',
      '2026-11-29T08:00:02.000Z',
    );
    expect(within(summary).getAllByText(/2026/)[1]).toHaveAttribute(
      'datetime',
      '2026-11-29T07:30:00.000Z',
    );
  });

  it('says when nothing was sent or failed yet', async () => {
    renderCard(new FakeEmailProviderApi());
    const messages = await table();
    const summary = screen.getByTestId('email-deliveries-summary');
    expect(summary).toHaveTextContent('Last successNone yet');
    expect(summary).toHaveTextContent('Last failureNone');
    expect(summary).toHaveTextContent('Messages waiting0');
    expect(within(messages).getByRole('cell')).toHaveTextContent(
      'No messages yet: no plugin has sent email through the portal.',
    );
  });

  describe('credential expiry', () => {
    it('shows when the client secret expires, warning within 30 days', async () => {
      const day = dayFromToday(12);
      const api = new FakeEmailProviderApi({
        ...SAVED_MICROSOFT365,
        microsoft365: {
          ...SAVED_MICROSOFT365.microsoft365,
          clientSecretExpiresAt: day,
          credentialExpiresAt: `${day}T00:00:00.000Z`,
        },
      });
      renderCard(api);
      await table();
      const summary = screen.getByTestId('email-deliveries-summary');
      expect(
        await within(summary).findByText('Client secret expires'),
      ).toBeVisible();
      expect(summary).toHaveTextContent(
        `Client secret expires${day}in 12 days`,
      );
      expect(within(summary).getByText(day)).toHaveAttribute('datetime', day);
      expect(within(summary).getByTestId('status-warning')).toBeVisible();
    });

    it('shows an expired certificate as an error', async () => {
      const day = dayFromToday(-3);
      const notAfter = `${day}T12:00:00.000Z`;
      const { microsoft365 } = SAVED_MICROSOFT365_CERTIFICATE;
      const api = new FakeEmailProviderApi({
        ...SAVED_MICROSOFT365_CERTIFICATE,
        microsoft365: {
          ...microsoft365,
          certificate: { ...microsoft365.certificate!, notAfter },
          credentialExpiresAt: notAfter,
        },
      });
      renderCard(api);
      await table();
      const summary = screen.getByTestId('email-deliveries-summary');
      expect(
        await within(summary).findByText('Certificate expires'),
      ).toBeVisible();
      expect(summary).toHaveTextContent(
        `Certificate expires${day}expired 3 days ago`,
      );
      // Nothing failed in 24 hours: the only error icon is the certificate's.
      expect(within(summary).getByTestId('status-error')).toBeVisible();
    });

    it('shows no expiry when it is unknown', async () => {
      const api = new FakeEmailProviderApi(SAVED_MICROSOFT365);
      renderCard(api);
      await table();
      await waitFor(() => expect(api.getSettings).toHaveBeenCalled());
      expect(
        screen.getByTestId('email-deliveries-summary'),
      ).not.toHaveTextContent('expires');
    });

    it('does not read the settings for a user who may not', async () => {
      const api = new FakeEmailProviderApi(SAVED_MICROSOFT365_CERTIFICATE);
      renderCard(api, { settingsRead: false });
      await table();
      expect(api.getSettings).not.toHaveBeenCalled();
      expect(
        screen.getByTestId('email-deliveries-summary'),
      ).not.toHaveTextContent('Certificate expires');
    });
  });

  it('lists the messages with time, caller, category, recipients, status, attempts and the reason of a failure', async () => {
    const api = apiWithLog();
    renderCard(api);
    expect(await rows()).toHaveLength(3);
    expect(api.listMessages).toHaveBeenCalledWith({ limit: 25 });

    const failed = row('failed-1');
    expect(failed).toHaveTextContent('plugin:ci-reports');
    expect(failed).toHaveTextContent('build-report');
    expect(failed).toHaveTextContent('Nightly build report');
    expect(within(failed).getAllByRole('cell')[4]).toHaveTextContent('12');
    expect(within(failed).getAllByRole('cell')[5]).toHaveTextContent('Failed');
    expect(within(failed).getByTestId('status-error')).toBeInTheDocument();
    expect(within(failed).getAllByRole('cell')[6]).toHaveTextContent('8');
    expect(
      within(failed).getByText(
        'Nothing accepts connections at smtp.example.com:587; check the server address and port, and that a firewall lets the portal through.',
      ),
    ).toBeVisible();
    expect(failed).toHaveTextContent('Code connection-refused');
    expect(failed).toHaveTextContent(
      'the server answered connect ECONNREFUSED 192.0.2.10:587',
    );
    expect(within(failed).getByText(/2026/)).toHaveAttribute(
      'datetime',
      '2026-11-29T07:00:00.000Z',
    );
    expect(
      within(failed).getByRole('button', { name: 'Retry' }),
    ).toHaveAccessibleDescription('Nightly build report');

    const sent = row('sent-1');
    expect(within(sent).getAllByRole('cell')[5]).toHaveTextContent('Sent');
    expect(within(sent).getByTestId('status-ok')).toBeInTheDocument();
    expect(sent).toHaveTextContent('sent');
    expect(within(sent).getAllByText(/2026/)[1]).toHaveAttribute(
      'datetime',
      '2026-11-29T08:00:02.000Z',
    );
    expect(
      within(sent).queryByRole('button', { name: 'Retry' }),
    ).not.toBeInTheDocument();

    const retrying = row('queued-1');
    expect(within(retrying).getAllByRole('cell')[2]).toHaveTextContent('none');
    expect(within(retrying).getAllByRole('cell')[5]).toHaveTextContent(
      'Queued',
    );
    expect(retrying).toHaveTextContent('next attempt');
    expect(retrying).toHaveTextContent('did not answer within 10 seconds');
    expect(retrying).toHaveTextContent('Code timeout');
  });

  it('filters by status', async () => {
    const api = apiWithLog();
    const user = renderCard(api);
    await table();
    const filter = screen.getByRole('combobox', { name: 'Status' });
    expect(
      within(filter)
        .getAllByRole('option')
        .map(option => option.textContent),
    ).toEqual(['All', 'Queued', 'Sending', 'Sent', 'Failed', 'Suppressed']);

    await user.selectOptions(filter, 'Failed');
    await waitFor(() =>
      expect(api.listMessages).toHaveBeenLastCalledWith({
        status: 'failed',
        limit: 25,
      }),
    );
    await waitFor(async () => expect(await rows()).toHaveLength(1));
    expect(row('failed-1')).toBeInTheDocument();

    await user.selectOptions(filter, 'Sending');
    expect(await screen.findByText('No sending messages.')).toBeVisible();
  });

  it('shows a suppressed message as not sent because its recipient unsubscribed, and filters on it', async () => {
    const api = apiWithLog();
    api.messages = [
      deliveryRecord({
        id: 'suppressed-1',
        status: 'suppressed',
        subject: 'Catalog digest',
        caller: 'plugin:notifications',
        attempts: 1,
        // Left by an earlier attempt: not why the message was not sent.
        lastError: RETRYING.lastError,
      }),
      ...api.messages,
    ];
    const user = renderCard(api);
    await table();
    const suppressed = row('suppressed-1');
    const cells = within(suppressed).getAllByRole('cell');
    expect(cells[5]).toHaveTextContent(/^Suppressed$/);
    expect(within(suppressed).getByTestId('status-aborted')).toBeVisible();
    expect(cells[7]).toHaveTextContent(
      /^Not sent: the recipient unsubscribed\.$/,
    );
    expect(
      within(suppressed).queryByRole('button', { name: 'Retry' }),
    ).not.toBeInTheDocument();

    await user.selectOptions(
      screen.getByRole('combobox', { name: 'Status' }),
      'Suppressed',
    );
    await waitFor(() =>
      expect(api.listMessages).toHaveBeenLastCalledWith({
        status: 'suppressed',
        limit: 25,
      }),
    );
    await waitFor(async () => expect(await rows()).toHaveLength(1));
    expect(row('suppressed-1')).toBeInTheDocument();

    api.messages = api.messages.filter(m => m.status !== 'suppressed');
    await user.click(screen.getByRole('button', { name: 'Refresh' }));
    expect(await screen.findByText('No suppressed messages.')).toBeVisible();
  });

  it('announces a waiting message that was not sent because its recipient unsubscribed', async () => {
    const api = apiWithLog();
    const user = renderCard(api);
    await table();
    api.messages = api.messages.map(message =>
      message.id === 'queued-1'
        ? { ...message, status: 'suppressed' }
        : message,
    );
    await user.click(screen.getByRole('button', { name: 'Refresh' }));
    await waitFor(() =>
      expect(
        screen.getByTestId('email-deliveries-announcer'),
      ).toHaveTextContent(
        '“Build broken” was not sent: the recipient unsubscribed.',
      ),
    );
  });

  it('pages through the log by cursor, forward and back', async () => {
    const api = new FakeEmailProviderApi();
    api.messages = Array.from({ length: 30 }, (_, index) =>
      deliveryRecord({ id: `m-${index}`, subject: `Message ${index}` }),
    );
    const user = renderCard(api);
    expect(await rows()).toHaveLength(25);
    expect(api.listMessages).toHaveBeenLastCalledWith({ limit: 25 });
    expect(screen.getByText('1–25 of 30')).toBeInTheDocument();
    expect(
      screen.getByRole('button', { name: 'Previous page' }),
    ).toBeDisabled();

    await user.click(screen.getByRole('button', { name: 'Next page' }));
    await waitFor(() =>
      expect(api.listMessages).toHaveBeenLastCalledWith({
        limit: 25,
        cursor: 'after_m-24',
      }),
    );
    await waitFor(async () => expect(await rows()).toHaveLength(5));
    expect(screen.getByText('26–30 of 30')).toBeInTheDocument();
    expect(screen.getByText('Message 29')).toBeInTheDocument();
    expect(screen.getByRole('button', { name: 'Next page' })).toBeDisabled();

    await user.click(screen.getByRole('button', { name: 'Previous page' }));
    await waitFor(async () => expect(await rows()).toHaveLength(25));
    expect(api.listMessages).toHaveBeenLastCalledWith({ limit: 25 });
    expect(screen.getByText('1–25 of 30')).toBeInTheDocument();
    expect(screen.getByText('Message 0')).toBeInTheDocument();

    await user.click(screen.getByRole('button', { name: 'Next page' }));
    await waitFor(async () => expect(await rows()).toHaveLength(5));
    await user.selectOptions(
      screen.getByRole('combobox', { name: 'Rows per page' }),
      '10',
    );
    await waitFor(() =>
      expect(api.listMessages).toHaveBeenLastCalledWith({ limit: 10 }),
    );
    await waitFor(async () => expect(await rows()).toHaveLength(10));
    expect(screen.getByText('1–10 of 30')).toBeInTheDocument();
  });

  it('says "more than" when the server stopped counting', async () => {
    const api = new FakeEmailProviderApi();
    api.messages = Array.from({ length: 60 }, (_, index) =>
      deliveryRecord({ id: `m-${index}` }),
    );
    api.countLimit = 40;
    const user = renderCard(api);
    expect(await rows()).toHaveLength(25);
    expect(screen.getByText('1–25 of more than 40')).toBeInTheDocument();
    await user.click(screen.getByRole('button', { name: 'Next page' }));
    expect(
      await screen.findByText('26–50 of more than 40'),
    ).toBeInTheDocument();
    await user.click(screen.getByRole('button', { name: 'Next page' }));
    expect(
      await screen.findByText('51–60 of more than 40'),
    ).toBeInTheDocument();
    expect(screen.getByRole('button', { name: 'Next page' })).toBeDisabled();
  });

  it('goes back a page when the page shown has emptied', async () => {
    const api = new FakeEmailProviderApi();
    api.messages = Array.from({ length: 30 }, (_, index) =>
      deliveryRecord({ id: `m-${index}`, subject: `Message ${index}` }),
    );
    const user = renderCard(api);
    expect(await rows()).toHaveLength(25);
    await user.click(screen.getByRole('button', { name: 'Next page' }));
    await waitFor(async () => expect(await rows()).toHaveLength(5));

    // The last five are purged.
    api.messages = api.messages.slice(0, 25);
    await user.click(screen.getByRole('button', { name: 'Refresh' }));
    await waitFor(() =>
      expect(screen.getByText('1–25 of 25')).toBeInTheDocument(),
    );
    expect(api.listMessages).toHaveBeenLastCalledWith({ limit: 25 });
    expect(screen.getByText('Message 0')).toBeInTheDocument();
  });

  it('retries a failed message, shows that it is queued again, and announces when it is sent', async () => {
    const api = apiWithLog();
    const user = renderCard(api);
    await table();
    const calls = api.listMessages.mock.calls.length;

    await user.click(
      within(row('failed-1')).getByRole('button', { name: 'Retry' }),
    );
    expect(api.retryMessage).toHaveBeenCalledWith('failed-1');
    const outcome = await screen.findByTestId('email-deliveries-retry-outcome');
    expect(outcome).toHaveAttribute('role', 'status');
    expect(outcome).toHaveTextContent(
      'Queued again: “Nightly build report” will be sent shortly.',
    );
    expect(outcome).toHaveFocus();
    expect(within(row('failed-1')).getAllByRole('cell')[5]).toHaveTextContent(
      'Queued',
    );
    expect(
      within(row('failed-1')).queryByRole('button', { name: 'Retry' }),
    ).not.toBeInTheDocument();
    // The log is read again at once.
    await waitFor(() =>
      expect(api.listMessages.mock.calls.length).toBeGreaterThan(calls),
    );

    // The worker sends it; the next read shows it and says so.
    api.messages = api.messages.map(message =>
      message.id === 'failed-1'
        ? {
            ...message,
            status: 'sent',
            attempts: 1,
            sentAt: '2026-11-29T08:06:00.000Z',
            lastError: undefined,
          }
        : message,
    );
    await user.click(screen.getByRole('button', { name: 'Refresh' }));
    await waitFor(() =>
      expect(within(row('failed-1')).getAllByRole('cell')[5]).toHaveTextContent(
        'Sent',
      ),
    );
    expect(screen.getByTestId('email-deliveries-announcer')).toHaveTextContent(
      '“Nightly build report” is now sent.',
    );
    expect(row('failed-1')).not.toHaveTextContent('Nothing accepts');
  });

  it("shows the server's refusal of a retry", async () => {
    const api = apiWithLog();
    api.retryMessage.mockRejectedValueOnce(
      await responseError(
        409,
        'ConflictError',
        'Message failed-1 is queued; only a failed message can be retried',
      ),
    );
    const user = renderCard(api);
    await table();
    await user.click(
      within(row('failed-1')).getByRole('button', { name: 'Retry' }),
    );
    const alert = await screen.findByRole('alert');
    expect(alert).toHaveTextContent(
      '“Nightly build report” was not retried: Message failed-1 is queued; only a failed message can be retried',
    );
    expect(alert).toHaveFocus();
    await user.click(within(alert).getByRole('button', { name: 'Close' }));
    expect(screen.queryByRole('alert')).not.toBeInTheDocument();
  });

  it('offers no retry without the update permission', async () => {
    renderCard(apiWithLog(), { update: false });
    await table();
    expect(row('failed-1')).toHaveTextContent('Nothing accepts connections');
    expect(
      screen.queryByRole('button', { name: 'Retry' }),
    ).not.toBeInTheDocument();
    expect(
      screen.getByText(/Retrying a failed message needs the/),
    ).toHaveTextContent('email-provider.settings.update');
  });

  it('shows a not-allowed message without the permission to read the log', async () => {
    const api = apiWithLog();
    renderCard(api, { read: false });
    expect(await screen.findByRole('alert')).toHaveTextContent(
      'You are not allowed to see the delivery log: that needs the email-provider.deliveries.read permission',
    );
    expect(api.listMessages).not.toHaveBeenCalled();
    expect(api.getSummary).not.toHaveBeenCalled();
  });

  it('offers to try again when the log cannot be loaded', async () => {
    const api = apiWithLog();
    api.listMessages.mockRejectedValueOnce(
      await responseError(500, 'Error', 'database down'),
    );
    const user = renderCard(api);
    expect(await screen.findByRole('alert')).toHaveTextContent(
      'The delivery log could not be loaded: database down',
    );
    await user.click(screen.getByRole('button', { name: 'Try again' }));
    expect(await rows()).toHaveLength(3);
  });

  it('keeps what it shows when a refresh fails', async () => {
    const api = apiWithLog();
    const user = renderCard(api);
    await table();
    api.getSummary.mockRejectedValueOnce(
      await responseError(503, 'ServiceUnavailableError', 'backend restarting'),
    );
    await user.click(screen.getByRole('button', { name: 'Refresh' }));
    expect(await screen.findByRole('alert')).toHaveTextContent(
      'The delivery log could not be refreshed: backend restarting',
    );
    expect(await rows()).toHaveLength(3);
  });

  describe('auto-refresh', () => {
    afterEach(() => {
      Object.defineProperty(document, 'hidden', {
        configurable: true,
        get: () => false,
      });
    });

    it('reads the log again while it is shown, and not while the page is hidden', async () => {
      const api = apiWithLog();
      renderCard(api, { refreshIntervalMs: 50 });
      await table();
      await waitFor(() =>
        expect(api.listMessages.mock.calls.length).toBeGreaterThanOrEqual(3),
      );

      Object.defineProperty(document, 'hidden', {
        configurable: true,
        get: () => true,
      });
      const sleep = (ms: number) =>
        act(() => new Promise<void>(resolve => setTimeout(resolve, ms)));
      await sleep(100);
      const whileHidden = api.listMessages.mock.calls.length;
      await sleep(300);
      expect(api.listMessages).toHaveBeenCalledTimes(whileHidden);

      Object.defineProperty(document, 'hidden', {
        configurable: true,
        get: () => false,
      });
      act(() => {
        document.dispatchEvent(new Event('visibilitychange'));
      });
      await waitFor(() =>
        expect(api.listMessages.mock.calls.length).toBeGreaterThan(whileHidden),
      );
    });
  });
});
