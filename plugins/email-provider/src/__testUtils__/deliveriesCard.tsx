import { renderInTestApp } from '@backstage/frontend-test-utils';
import { screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { emailProviderApiRef } from '../api';
import { EmailDeliveriesCard } from '../components/EmailDeliveriesCard';
import { FakeEmailProviderApi } from './FakeEmailProviderApi';
import { renderInLanguage } from './renderInLanguage';

/**
 * Renders the Deliveries card for a user with the given permissions (an admin by default), in
 * English or in the app language given.
 */
export function renderDeliveriesCard(
  api: FakeEmailProviderApi,
  options: {
    read?: boolean;
    update?: boolean;
    settingsRead?: boolean;
    refreshIntervalMs?: number;
    language?: string;
  } = {},
) {
  const { read = true, update = true, settingsRead = true, language } = options;
  api.access = {
    settings: { read: settingsRead, update },
    deliveries: { read },
    adminsConfigured: true,
  };
  const card = (
    <EmailDeliveriesCard refreshIntervalMs={options.refreshIntervalMs} />
  );
  if (language) {
    renderInLanguage(card, language, { apis: [[emailProviderApiRef, api]] });
  } else {
    renderInTestApp(card, { apis: [[emailProviderApiRef, api]] });
  }
  return userEvent.setup();
}

/** The log has loaded once the table of messages, named as in English by default, is there. */
export const messagesTable = (name = 'Recent messages') =>
  screen.findByRole('table', { name }, { timeout: 10_000 });

/** The table's rows without the header row. */
export async function messageRows() {
  const [, ...body] = within(await messagesTable()).getAllByRole('row');
  return body;
}

export const messageRow = (id: string) =>
  screen.getByTestId(`email-delivery-${id}`);

/** The suppression list has loaded once its table, named as in English by default, is there. */
export const suppressionsTable = (name = 'Suppressed addresses') =>
  screen.findByRole('table', { name }, { timeout: 10_000 });

/** The suppression table's rows without the header row. */
export async function suppressionRows() {
  const [, ...body] = within(await suppressionsTable()).getAllByRole('row');
  return body;
}

export const suppressionRow = (id: string) =>
  screen.getByTestId(`email-suppression-${id}`);
