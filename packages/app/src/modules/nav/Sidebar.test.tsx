import { mockApis, renderTestApp } from '@backstage/frontend-test-utils';
import emailProviderPlugin, {
  EmailProviderApi,
  emailProviderApiRef,
} from '@email-provider/backstage-plugin-email-provider';
import { screen, waitFor } from '@testing-library/react';
import { navModule } from './index';

// The other plugins' sidebar items need their own backends and the legacy app context; this test
// is about the email provider entry only.
jest.mock('@backstage/plugin-search', () => ({
  SidebarSearchModal: () => null,
}));
jest.mock('@backstage/plugin-notifications', () => ({
  NotificationsSidebarItem: () => null,
}));
jest.mock('@backstage/plugin-user-settings', () => ({
  UserSettingsSignInAvatar: () => null,
}));

function renderSidebar(admin: boolean) {
  const getAccess = jest.fn(async () => ({
    settings: { read: admin, update: admin },
    deliveries: { read: admin },
    adminsConfigured: true,
  }));
  renderTestApp({
    features: [navModule, emailProviderPlugin],
    apis: [
      [emailProviderApiRef, { getAccess } as Partial<EmailProviderApi>],
      // Allows everything, as create-app's policy: the sidebar follows the backend's answer instead.
      mockApis.permission(),
    ],
    initialRouteEntries: ['/'],
  });
  return getAccess;
}

describe('the sidebar', () => {
  it('shows Email provider to an email provider admin', async () => {
    renderSidebar(true);
    expect(
      await screen.findByRole(
        'link',
        { name: 'Email provider' },
        { timeout: 10_000 },
      ),
    ).toHaveAttribute('href', '/email-provider');
  });

  it('shows no Email provider entry to anyone else', async () => {
    const getAccess = renderSidebar(false);
    await waitFor(() => expect(getAccess).toHaveBeenCalled(), {
      timeout: 10_000,
    });
    await new Promise(resolve => setTimeout(resolve, 50));
    expect(
      screen.queryByRole('link', { name: 'Email provider' }),
    ).not.toBeInTheDocument();
  });
});
