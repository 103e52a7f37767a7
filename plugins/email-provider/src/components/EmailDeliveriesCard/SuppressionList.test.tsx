import { screen, waitFor, within } from '@testing-library/react';
import {
  renderDeliveriesCard as renderCard,
  suppressionRow as row,
  suppressionRows as rows,
  suppressionsTable as table,
} from '../../__testUtils__/deliveriesCard';
import {
  FakeEmailProviderApi,
  responseError,
  suppression,
} from '../../__testUtils__/FakeEmailProviderApi';

const ADA = suppression({
  id: 's-ada',
  address: 'ada@example.com',
  caller: 'plugin:notifications',
  list: 'notification:plugin:catalog',
  description: 'Notifications from the catalog',
  source: 'one-click',
  createdAt: '2026-11-29T08:00:00.000Z',
});

const GRACE = suppression({
  id: 's-grace',
  address: 'grace@example.com',
  caller: 'plugin:reports',
  list: 'weekly-report',
  description: undefined,
  source: 'confirmation-page',
  createdAt: '2026-11-28T08:00:00.000Z',
});

function apiWithSuppressions() {
  const api = new FakeEmailProviderApi();
  api.suppressions = [ADA, GRACE];
  return api;
}

describe('the suppressed addresses', () => {
  it('lists who unsubscribed from what, from which plugin, how and when', async () => {
    const api = apiWithSuppressions();
    renderCard(api);
    expect(await rows()).toHaveLength(2);
    expect(api.listSuppressions).toHaveBeenCalledWith({
      address: undefined,
      cursor: undefined,
      limit: 25,
    });
    expect(
      within(await table())
        .getAllByRole('columnheader')
        .map(header => header.textContent),
    ).toEqual([
      'Address',
      'Unsubscribed from',
      'Sending plugin',
      'Source',
      'Unsubscribed on',
      'Actions',
    ]);

    const [address, from, caller, source, date] = within(
      row('s-ada'),
    ).getAllByRole('cell');
    expect(address).toHaveTextContent('ada@example.com');
    expect(from).toHaveTextContent(
      'Notifications from the catalog' + 'list notification:plugin:catalog',
    );
    expect(caller).toHaveTextContent('plugin:notifications');
    expect(source).toHaveTextContent('One click in the mail client');
    expect(within(date).getByText(/2026/)).toHaveAttribute(
      'datetime',
      '2026-11-29T08:00:00.000Z',
    );

    const grace = within(row('s-grace')).getAllByRole('cell');
    // Without a description, the list's own name says what it was.
    expect(grace[1]).toHaveTextContent(/^weekly-report$/);
    expect(grace[3]).toHaveTextContent('Unsubscribe page');
    expect(
      within(row('s-grace')).getByRole('button', {
        name: 'Remove suppression of grace@example.com',
      }),
    ).toHaveTextContent('Remove');
  });

  it('says when nobody unsubscribed', async () => {
    renderCard(new FakeEmailProviderApi());
    expect(within(await table()).getByRole('cell')).toHaveTextContent(
      'No address has unsubscribed.',
    );
    // One page: no pager.
    expect(
      screen.queryByRole('button', {
        name: 'Next page of suppressed addresses',
      }),
    ).not.toBeInTheDocument();
  });

  it('searches by the whole address, catching one that is not an address', async () => {
    const api = apiWithSuppressions();
    const user = renderCard(api);
    await table();
    const search = screen.getByRole('search', { name: 'Suppressed addresses' });
    const address = within(search).getByRole('textbox', { name: 'Address' });

    await user.type(address, 'ada@');
    await user.click(within(search).getByRole('button', { name: 'Search' }));
    expect(address).toHaveAccessibleDescription(
      'Address must be a single plain address such as name@example.com, without a display name, comments or quotes',
    );
    expect(api.listSuppressions).not.toHaveBeenCalledWith(
      expect.objectContaining({ address: 'ada@' }),
    );

    await user.type(address, 'example.com{Enter}');
    await waitFor(() =>
      expect(api.listSuppressions).toHaveBeenLastCalledWith({
        address: 'ada@example.com',
        cursor: undefined,
        limit: 25,
      }),
    );
    await waitFor(async () => expect(await rows()).toHaveLength(1));
    expect(row('s-ada')).toBeInTheDocument();

    await user.clear(address);
    await user.type(address, 'nobody@example.com{Enter}');
    expect(
      await screen.findByText(
        'No suppression for nobody@example.com: it has not unsubscribed from anything.',
      ),
    ).toBeVisible();

    await user.click(within(search).getByRole('button', { name: 'Show all' }));
    await waitFor(async () => expect(await rows()).toHaveLength(2));
    expect(address).toHaveValue('');
  });

  it("shows the server's refusal of an address", async () => {
    const api = apiWithSuppressions();
    const user = renderCard(api);
    await table();
    api.listSuppressions.mockRejectedValueOnce(
      await responseError(400, 'InputError', 'address is not an address'),
    );
    await user.type(
      screen.getByRole('textbox', { name: 'Address' }),
      'ada@example.com{Enter}',
    );
    expect(await screen.findByRole('alert')).toHaveTextContent(
      'The suppressed addresses could not be searched: address is not an address',
    );
  });

  it('pages by cursor, forward and back', async () => {
    const api = new FakeEmailProviderApi();
    api.suppressions = Array.from({ length: 30 }, (_, index) =>
      suppression({ id: `s-${index}`, address: `user${index}@example.com` }),
    );
    const user = renderCard(api);
    expect(await rows()).toHaveLength(25);
    expect(screen.getByText('1–25')).toBeInTheDocument();
    const previous = screen.getByRole('button', {
      name: 'Previous page of suppressed addresses',
    });
    const next = screen.getByRole('button', {
      name: 'Next page of suppressed addresses',
    });
    expect(previous).toBeDisabled();

    await user.click(next);
    await waitFor(() =>
      expect(api.listSuppressions).toHaveBeenLastCalledWith({
        address: undefined,
        cursor: 'after_s-24',
        limit: 25,
      }),
    );
    await waitFor(async () => expect(await rows()).toHaveLength(5));
    expect(screen.getByText('26–30')).toBeInTheDocument();
    expect(screen.getByText('user29@example.com')).toBeInTheDocument();
    expect(next).toBeDisabled();

    await user.click(previous);
    await waitFor(async () => expect(await rows()).toHaveLength(25));
    expect(screen.getByText('user0@example.com')).toBeInTheDocument();
  });

  it('removes a suppression after a confirmation, and the row goes', async () => {
    const api = apiWithSuppressions();
    const user = renderCard(api);
    await table();
    const remove = () =>
      within(row('s-ada')).getByRole('button', {
        name: 'Remove suppression of ada@example.com',
      });

    await user.click(remove());
    let dialog = await screen.findByRole('dialog', {
      name: 'Remove the suppression of ada@example.com?',
    });
    expect(dialog).toHaveTextContent(
      'ada@example.com will get the messages of “Notifications from the catalog” from plugin:notifications again.',
    );
    // The safe choice has the focus; cancelling removes nothing.
    expect(
      within(dialog).getByRole('button', { name: 'Cancel' }),
    ).toHaveFocus();
    await user.click(within(dialog).getByRole('button', { name: 'Cancel' }));
    await waitFor(() => expect(screen.queryByRole('dialog')).toBeNull());
    expect(api.removeSuppression).not.toHaveBeenCalled();

    await user.click(remove());
    dialog = await screen.findByRole('dialog');
    await user.click(within(dialog).getByRole('button', { name: 'Remove' }));
    expect(api.removeSuppression).toHaveBeenCalledWith('s-ada');
    const outcome = await screen.findByTestId(
      'email-suppressions-remove-outcome',
    );
    expect(outcome).toHaveAttribute('role', 'status');
    expect(outcome).toHaveTextContent(
      'Suppression removed: ada@example.com will get the messages of “Notifications from the catalog” from plugin:notifications again.',
    );
    expect(outcome).toHaveFocus();
    await waitFor(async () => expect(await rows()).toHaveLength(1));
    expect(screen.queryByTestId('email-suppression-s-ada')).toBeNull();
    expect(row('s-grace')).toBeInTheDocument();
  });

  it("shows the server's refusal of a removal", async () => {
    const api = apiWithSuppressions();
    const user = renderCard(api);
    await table();
    // Someone else removed it meanwhile.
    api.suppressions = [GRACE];
    await user.click(
      within(row('s-ada')).getByRole('button', {
        name: 'Remove suppression of ada@example.com',
      }),
    );
    await user.click(
      within(await screen.findByRole('dialog')).getByRole('button', {
        name: 'Remove',
      }),
    );
    const outcome = await screen.findByRole('alert');
    expect(outcome).toHaveTextContent(
      'The suppression of ada@example.com was not removed: No suppression with id s-ada',
    );
    expect(outcome).toHaveFocus();
    // The list is read again, without the entry that is gone.
    await waitFor(async () => expect(await rows()).toHaveLength(1));
  });

  it('offers no removal without the update permission', async () => {
    const api = apiWithSuppressions();
    renderCard(api, { update: false });
    expect(await rows()).toHaveLength(2);
    expect(
      screen.queryByRole('button', { name: /^Remove suppression of/ }),
    ).not.toBeInTheDocument();
    expect(
      within(await table()).queryByRole('columnheader', { name: 'Actions' }),
    ).not.toBeInTheDocument();
    expect(
      screen.getByText(/Removing a suppression needs the/),
    ).toHaveTextContent('email-provider.settings.update');
  });

  it('says when the list cannot be loaded, and tries again', async () => {
    const api = apiWithSuppressions();
    api.listSuppressions.mockRejectedValueOnce(
      await responseError(500, 'Error', 'database down'),
    );
    const user = renderCard(api);
    const alert = await screen.findByRole('alert');
    expect(alert).toHaveTextContent(
      'The suppressed addresses could not be loaded: database down',
    );
    await user.click(within(alert).getByRole('button', { name: 'Try again' }));
    expect(await rows()).toHaveLength(2);
  });
});
