import type { Microsoft365Cloud } from '@email-provider/backstage-plugin-email-provider-common';

/** Where a tenant signs in and where its Microsoft Graph is: the token scope is `<graph>/.default`. */
export type MicrosoftEndpoints = {
  authorityHost: string;
  graphBaseUrl: string;
};

/**
 * Each Microsoft cloud's sign-in and Graph hosts. A tenant exists in one cloud only, and a token
 * from one cloud's Entra is worthless at another cloud's Graph.
 */
const CLOUD_ENDPOINTS: Record<Microsoft365Cloud, MicrosoftEndpoints> = {
  global: {
    authorityHost: 'https://login.microsoftonline.com',
    graphBaseUrl: 'https://graph.microsoft.com',
  },
  'usgov-high': {
    authorityHost: 'https://login.microsoftonline.us',
    graphBaseUrl: 'https://graph.microsoft.us',
  },
  'usgov-dod': {
    authorityHost: 'https://login.microsoftonline.us',
    graphBaseUrl: 'https://dod-graph.microsoft.us',
  },
  china: {
    authorityHost: 'https://login.chinacloudapi.cn',
    graphBaseUrl: 'https://microsoftgraph.chinacloudapi.cn',
  },
};

/**
 * The endpoints for a tenant in `cloud` (global when absent). The app-config overrides win for
 * every cloud, each on its own: they exist for proxies and test doubles, which stand in for
 * whichever cloud the settings name.
 */
export function microsoftEndpoints(
  cloud: Microsoft365Cloud | undefined,
  overrides: Partial<MicrosoftEndpoints> = {},
): MicrosoftEndpoints {
  const defaults = CLOUD_ENDPOINTS[cloud ?? 'global'];
  return {
    authorityHost: withoutTrailingSlash(
      overrides.authorityHost ?? defaults.authorityHost,
    ),
    graphBaseUrl: withoutTrailingSlash(
      overrides.graphBaseUrl ?? defaults.graphBaseUrl,
    ),
  };
}

function withoutTrailingSlash(url: string): string {
  return url.replace(/\/+$/, '');
}
