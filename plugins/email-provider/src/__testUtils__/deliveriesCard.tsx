import { renderInTestApp } from '@backstage/frontend-test-utils';
import { screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { emailProviderApiRef } from '../api';
import { EmailDeliveriesCard } from '../components/EmailDeliveriesCard';
import { FakeEmailProviderApi } from './FakeEmailProviderApi';

/** Renders the Deliveries card for a user with the given permissions (an admin by default). */
export function renderDeliveriesCard(
  api: FakeEmailProviderApi,
  options: {
    read?: boolean;
    update?: boolean;
    settingsRead?: boolean;
    refreshIntervalMs?: number;
  } = {},
) {
  const { read = true, update = true, settingsRead = true } = options;
  api.access = {
    settings: { read: settingsRead, update },
    deliveries: { read },
    adminsConfigured: true,
  };
  renderInTestApp(
    <EmailDeliveriesCard refreshIntervalMs={options.refreshIntervalMs} />,
    { apis: [[emailProviderApiRef, api]] },
  );
  return userEvent.setup();
}

/** The log has loaded once the table of messages is there. */
export const messagesTable = () =>
  screen.findByRole('table', { name: 'Recent messages' }, { timeout: 10_000 });

/** The table's rows without the header row. */
export async function messageRows() {
  const [, ...body] = within(await messagesTable()).getAllByRole('row');
  return body;
}

export const messageRow = (id: string) =>
  screen.getByTestId(`email-delivery-${id}`);
