// These tests hand script URLs to the code to show that it refuses them.
/* eslint-disable no-script-url */
import { ConfigReader } from '@backstage/config';
import { readProcessorConfig } from './config';

const app = { baseUrl: 'https://portal.example.com', title: 'ACME Portal' };

describe('readProcessorConfig', () => {
  it('has broadcasts off and the usual settings page by default', () => {
    expect(readProcessorConfig(new ConfigReader({ app }))).toEqual({
      portal: {
        baseUrl: 'https://portal.example.com',
        title: 'ACME Portal',
        settingsUrl: 'https://portal.example.com/settings/notifications',
      },
      broadcastEnabled: false,
      filter: {},
      defaultSettings: undefined,
    });
  });

  it('reads the module’s keys and the portal’s default notification settings', () => {
    const defaultSettings = {
      channels: [{ id: 'Email', enabled: false, origins: [] }],
    };
    const config = readProcessorConfig(
      new ConfigReader({
        app: { baseUrl: 'https://example.com/backstage' },
        notifications: {
          defaultSettings,
          processors: {
            emailProvider: {
              broadcast: { enabled: true },
              settingsUrl: '/user-settings/notifications',
              filter: { minSeverity: 'high', excludedTopics: ['noise'] },
            },
          },
        },
      }),
    );
    expect(config).toEqual({
      portal: {
        baseUrl: 'https://example.com/backstage',
        title: 'Backstage',
        settingsUrl:
          'https://example.com/backstage/user-settings/notifications',
      },
      broadcastEnabled: true,
      filter: { minSeverity: 'high', excludedTopics: ['noise'] },
      defaultSettings,
    });
  });

  it('takes an absolute settings URL', () => {
    expect(
      readProcessorConfig(
        new ConfigReader({
          app,
          notifications: {
            processors: {
              emailProvider: {
                settingsUrl: 'https://intranet.example.com/mail',
              },
            },
          },
        }),
      ).portal.settingsUrl,
    ).toBe('https://intranet.example.com/mail');
  });

  it.each([
    [
      { settingsUrl: 'javascript:alert(1)' },
      /settingsUrl must be a path under app\.baseUrl or an http\(s\) URL/,
    ],
    [{ filter: { minSeverity: 'urgent' } }, /Invalid minSeverity: urgent/],
    [{ broadcast: { enabled: 'maybe' } }, /broadcast\.enabled/],
    [
      { allowlistEmailAddresses: ['*@acme.test', 'acme.test'] },
      /^notifications\.processors\.emailProvider\.allowlistEmailAddresses\[1\] must be an email address pattern/,
    ],
    [{ denylistEmailAddresses: '*@acme.test' }, /denylistEmailAddresses/],
  ])('refuses %j', (emailProvider, message) => {
    expect(() =>
      readProcessorConfig(
        new ConfigReader({
          app,
          notifications: { processors: { emailProvider } },
        }),
      ),
    ).toThrow(message);
  });

  it('reads the allowlist and the denylist of addresses', () => {
    const { addressFilter } = readProcessorConfig(
      new ConfigReader({
        app,
        notifications: {
          processors: {
            emailProvider: {
              allowlistEmailAddresses: ['*@acme.test'],
              denylistEmailAddresses: ['bob@acme.test'],
            },
          },
        },
      }),
    );
    expect(addressFilter?.allows('ada@acme.test')).toBe(true);
    expect(addressFilter?.allows('bob@acme.test')).toBe(false);
    expect(addressFilter?.allows('ada@example.com')).toBe(false);
  });

  it('needs app.baseUrl for the links', () => {
    expect(() => readProcessorConfig(new ConfigReader({}))).toThrow(
      /app\.baseUrl/,
    );
  });
});
