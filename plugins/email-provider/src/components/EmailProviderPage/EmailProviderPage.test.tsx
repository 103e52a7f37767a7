import { mockApis, renderInTestApp } from '@backstage/frontend-test-utils';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import { screen } from '@testing-library/react';
import { SWRConfig } from 'swr';
import { emailProviderApiRef } from '../../api';
import {
  FakeEmailProviderApi,
  SAVED_SMTP,
} from '../../__testUtils__/FakeEmailProviderApi';
import { EmailProviderPage } from './EmailProviderPage';

function renderPage(
  api: FakeEmailProviderApi,
  authorize: AuthorizeResult.ALLOW | AuthorizeResult.DENY,
) {
  renderInTestApp(
    <SWRConfig value={{ provider: () => new Map() }}>
      <EmailProviderPage />
    </SWRConfig>,
    {
      apis: [[emailProviderApiRef, api], mockApis.permission({ authorize })],
    },
  );
}

describe('EmailProviderPage', () => {
  it('shows the settings and the delivery hints to an admin', async () => {
    renderPage(new FakeEmailProviderApi(SAVED_SMTP), AuthorizeResult.ALLOW);
    expect(
      screen.getByRole('heading', { level: 1, name: 'Email provider' }),
    ).toBeInTheDocument();
    expect(await screen.findByLabelText('Server address')).toHaveValue(
      'smtp.example.com',
    );
    expect(
      screen.getByText(/allow the servers that send for it/),
    ).toBeVisible();
    expect(
      screen.getByText(/30\s+messages a minute and 10,000 recipients a day/),
    ).toBeVisible();
    expect(
      screen.getByRole('link', { name: /How the portal delivers mail/ }),
    ).toHaveAttribute('href', expect.stringContaining('learn.microsoft.com'));
  });

  it('shows a not-allowed message to everyone else', async () => {
    const api = new FakeEmailProviderApi(SAVED_SMTP);
    renderPage(api, AuthorizeResult.DENY);
    expect(await screen.findByRole('alert')).toHaveTextContent(
      'You are not allowed to see the email provider settings',
    );
    expect(
      screen.getByRole('heading', { level: 1, name: 'Email provider' }),
    ).toBeInTheDocument();
    expect(api.getSettings).not.toHaveBeenCalled();
  });
});
