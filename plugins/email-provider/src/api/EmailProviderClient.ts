import type { DiscoveryApi, FetchApi } from '@backstage/frontend-plugin-api';
import { ResponseError } from '@backstage/errors';
import type {
  DeliveryList,
  DeliveryLogFilter,
  DeliveryRecord,
  DeliveryStats,
  DeliverySummary,
  EmailProviderAccess,
  EmailProviderSettings,
  EmailProviderSettingsInput,
  EmailSuppressionList,
  SuppressionListQuery,
  VerifyResult,
} from '@email-provider/backstage-plugin-email-provider-common';
import type {
  DeliveryFilter,
  EmailProviderApi,
  EmailProviderSettingsSnapshot,
  TestEmailFailureResult,
  TestEmailOutcome,
} from './EmailProviderApi';

/** `"4"`, `W/"4"` or `4` as the backend sends its ETag. */
function parseVersion(etag: string | null): number | undefined {
  const match = etag ? /^(?:W\/)?"?(\d+)"?$/.exec(etag.trim()) : null;
  return match ? Number(match[1]) : undefined;
}

/** `path?key=value…` for the parameters that are set. */
function withQuery(path: string, parameters: object): string {
  const query = new URLSearchParams();
  for (const [key, value] of Object.entries(parameters)) {
    if (value !== undefined && value !== '') {
      query.set(key, String(value));
    }
  }
  const search = query.toString();
  return search ? `${path}?${search}` : path;
}

function isTestEmailFailure(body: unknown): body is TestEmailFailureResult {
  const failure = (body as { failure?: { code?: unknown; message?: unknown } })
    ?.failure;
  return (
    typeof failure === 'object' &&
    failure !== null &&
    typeof failure.code === 'string' &&
    typeof failure.message === 'string'
  );
}

/**
 * The {@link EmailProviderApi} over HTTP: the backend plugin `email-provider`, found through
 * the discovery API, called with the signed-in user's token by the fetch API.
 *
 * @public
 */
export class EmailProviderClient implements EmailProviderApi {
  private readonly discoveryApi: DiscoveryApi;
  private readonly fetchApi: FetchApi;

  constructor(options: { discoveryApi: DiscoveryApi; fetchApi: FetchApi }) {
    this.discoveryApi = options.discoveryApi;
    this.fetchApi = options.fetchApi;
  }

  async getAccess(): Promise<EmailProviderAccess> {
    return this.json('GET', 'access');
  }

  async getSettings(): Promise<EmailProviderSettingsSnapshot> {
    return this.settingsRequest('GET');
  }

  async saveSettings(
    settings: EmailProviderSettingsInput,
    options?: { version?: number },
  ): Promise<EmailProviderSettingsSnapshot> {
    return this.settingsRequest('PUT', settings, options?.version);
  }

  async deleteSettings(options?: {
    version?: number;
  }): Promise<EmailProviderSettingsSnapshot> {
    return this.settingsRequest('DELETE', undefined, options?.version);
  }

  async sendTestEmail(request: { to: string }): Promise<TestEmailOutcome> {
    const response = await this.request('POST', 'test-email', request);
    if (response.status === 502) {
      // A provider failure: its body says what to fix. Anything else at 502 (a proxy in between)
      // is an ordinary error.
      const body = await response
        .clone()
        .json()
        .catch(() => undefined);
      if (isTestEmailFailure(body)) {
        return {
          ok: false,
          provider: body.provider,
          durationMs: body.durationMs,
          failure: body.failure,
        };
      }
    }
    if (!response.ok) {
      throw await ResponseError.fromResponse(response);
    }
    return response.json();
  }

  async verify(request?: {
    settings?: EmailProviderSettingsInput;
  }): Promise<VerifyResult> {
    const response = await this.request('POST', 'verify', request ?? {});
    if (!response.ok) {
      throw await ResponseError.fromResponse(response);
    }
    return response.json();
  }

  async listMessages(filter: DeliveryFilter = {}): Promise<DeliveryList> {
    return this.json('GET', withQuery('messages', filter));
  }

  async exportMessages(filter: DeliveryLogFilter = {}): Promise<Blob> {
    const response = await this.request(
      'GET',
      withQuery('messages/export.csv', filter),
    );
    if (!response.ok) {
      throw await ResponseError.fromResponse(response);
    }
    return response.blob();
  }

  async getStats(
    query: { bucket?: 'hour' | 'day'; since?: string; until?: string } = {},
  ): Promise<DeliveryStats> {
    return this.json('GET', withQuery('stats', query));
  }

  async getSummary(): Promise<DeliverySummary> {
    return this.json('GET', 'summary');
  }

  async retryMessage(id: string): Promise<DeliveryRecord> {
    return this.json('POST', `messages/${encodeURIComponent(id)}/retry`);
  }

  async listSuppressions(
    query: SuppressionListQuery = {},
  ): Promise<EmailSuppressionList> {
    return this.json('GET', withQuery('suppressions', query));
  }

  async removeSuppression(id: string): Promise<void> {
    const response = await this.request(
      'DELETE',
      `suppressions/${encodeURIComponent(id)}`,
    );
    if (!response.ok) {
      throw await ResponseError.fromResponse(response);
    }
  }

  private async json<T>(method: string, path: string): Promise<T> {
    const response = await this.request(method, path);
    if (!response.ok) {
      throw await ResponseError.fromResponse(response);
    }
    return response.json();
  }

  private async settingsRequest(
    method: 'GET' | 'PUT' | 'DELETE',
    body?: EmailProviderSettingsInput,
    version?: number,
  ): Promise<EmailProviderSettingsSnapshot> {
    const response = await this.request(
      method,
      'settings',
      body,
      version === undefined ? {} : { 'If-Match': `"${version}"` },
    );
    if (!response.ok) {
      throw await ResponseError.fromResponse(response);
    }
    const settings: EmailProviderSettings = await response.json();
    return {
      settings,
      version:
        parseVersion(response.headers.get('ETag')) ??
        ('version' in settings ? settings.version : undefined),
    };
  }

  private async request(
    method: string,
    path: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ): Promise<Response> {
    const baseUrl = await this.discoveryApi.getBaseUrl('email-provider');
    return this.fetchApi.fetch(`${baseUrl}/${path}`, {
      method,
      headers: {
        ...(body === undefined ? {} : { 'Content-Type': 'application/json' }),
        ...headers,
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  }
}
