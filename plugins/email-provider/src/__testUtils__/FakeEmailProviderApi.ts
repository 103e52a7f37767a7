import { ResponseError } from '@backstage/errors';
import {
  DELIVERY_LOG_COUNT_LIMIT,
  MANAGED_BY_CONFIG,
  MANAGED_SETTINGS_CONFIG_KEY,
} from '@email-provider/backstage-plugin-email-provider-common';
import type {
  DeliveryList,
  DeliveryLogFilter,
  DeliveryRecord,
  DeliveryStats,
  DeliveryStatsBucket,
  DeliverySummary,
  EmailProviderAccess,
  EmailProviderSettings,
  EmailProviderSettingsInput,
  EmailSuppression,
  EmailSuppressionList,
  Microsoft365CertificateInfo,
  Microsoft365Settings,
  SettingsFieldIssue,
  SmtpSettings,
  SuppressionListQuery,
  VerifyResult,
} from '@email-provider/backstage-plugin-email-provider-common';
import type {
  DeliveryFilter,
  EmailProviderApi,
  EmailProviderSettingsSnapshot,
  TestEmailOutcome,
} from '../api';

/** A ResponseError as the client throws it for an error answer of the backend. */
export async function responseError(
  status: number,
  name: string,
  message: string,
  code?: string,
  issues?: SettingsFieldIssue[],
): Promise<ResponseError> {
  return ResponseError.fromResponse(
    new Response(
      JSON.stringify({
        error: {
          name,
          message,
          ...(code ? { code } : {}),
          ...(issues ? { issues } : {}),
        },
        request: { method: 'PUT', url: '/api/email-provider/settings' },
        response: { statusCode: status },
      }),
      {
        status,
        statusText: name,
        headers: { 'Content-Type': 'application/json' },
      },
    ) as unknown as Parameters<typeof ResponseError.fromResponse>[0],
  );
}

export const SAVED_SMTP: Extract<EmailProviderSettings, { provider: 'smtp' }> =
  {
    provider: 'smtp',
    version: 4,
    updatedAt: '2026-11-28T09:30:00.000Z',
    updatedBy: 'user:default/ada',
    smtp: {
      host: 'smtp.example.com',
      port: 587,
      security: 'starttls',
      from: 'reports@example.com',
      fromName: 'ACME Portal',
      usernameSameAsFrom: true,
      username: 'reports@example.com',
      passwordSet: true,
    },
  };

export const SAVED_MICROSOFT365: Extract<
  EmailProviderSettings,
  { provider: 'microsoft365' }
> = {
  provider: 'microsoft365',
  version: 5,
  updatedAt: '2026-11-28T10:00:00.000Z',
  updatedBy: 'user:default/grace',
  microsoft365: {
    from: 'reports@contoso.onmicrosoft.com',
    tenantId: '8f3e0e0c-1d2b-4a5c-9e7f-0a1b2c3d4e5f',
    clientId: '11111111-2222-3333-4444-555555555555',
    clientSecretSet: true,
  },
};

/** SMTP through a relay that admits the portal by its address: no username, no password. */
export const SAVED_SMTP_RELAY: Extract<
  EmailProviderSettings,
  { provider: 'smtp' }
> = {
  provider: 'smtp',
  version: 6,
  updatedAt: '2026-11-28T11:00:00.000Z',
  updatedBy: 'user:default/ada',
  smtp: {
    host: 'relay.example.com',
    port: 25,
    security: 'starttls',
    from: 'portal@example.com',
    authentication: 'none',
    passwordSet: false,
  },
};

/** The certificate the fake reads from any PEM it is given, as the backend describes one. */
export const TEST_CERTIFICATE: Microsoft365CertificateInfo = {
  thumbprint: '3A1F0C5E9B7D2A4C6E8F0A1B2C3D4E5F60718293',
  subject: 'CN=portal.contoso.com',
  notAfter: '2028-03-31T12:00:00.000Z',
};

/** Microsoft 365 signing in with a certificate, in a national cloud. */
export const SAVED_MICROSOFT365_CERTIFICATE: Extract<
  EmailProviderSettings,
  { provider: 'microsoft365' }
> = {
  ...SAVED_MICROSOFT365,
  version: 7,
  microsoft365: {
    ...SAVED_MICROSOFT365.microsoft365,
    cloud: 'usgov-high',
    credential: 'certificate',
    clientSecretSet: false,
    clientCertificateSet: true,
    certificate: TEST_CERTIFICATE,
    credentialExpiresAt: TEST_CERTIFICATE.notAfter,
  },
};

/** SMTP pinned by `emailProvider.managedSettings`, as `GET /settings` reads it back. */
export const MANAGED_SMTP: Extract<
  EmailProviderSettings,
  { provider: 'smtp' }
> = {
  ...SAVED_SMTP,
  managedBy: 'config',
  smtp: {
    host: 'smtp.config.example.com',
    port: 587,
    security: 'starttls',
    from: 'reports@example.com',
    fromName: 'ACME Portal',
    usernameSameAsFrom: false,
    username: 'AKIACONFIG',
    passwordSet: true,
  },
};

/** Microsoft 365 pinned by `emailProvider.managedSettings`. */
export const MANAGED_MICROSOFT365: Extract<
  EmailProviderSettings,
  { provider: 'microsoft365' }
> = { ...SAVED_MICROSOFT365, managedBy: 'config' };

/** Sending switched off by `emailProvider.managedSettings` (`provider: none`). */
export const MANAGED_NONE: EmailProviderSettings = {
  provider: 'none',
  managedBy: 'config',
};

/** The backend's refusal to change settings that the configuration pins. */
export function managedByConfigError(): Promise<ResponseError> {
  return responseError(
    409,
    'ConflictError',
    `The email provider is set by the portal's configuration (${MANAGED_SETTINGS_CONFIG_KEY}) and cannot be changed here; change the configuration and restart the backend`,
    MANAGED_BY_CONFIG,
  );
}

/** A delivery log record with sensible defaults, for tests to vary. */
export function deliveryRecord(
  overrides: Partial<DeliveryRecord> & Pick<DeliveryRecord, 'id'>,
): DeliveryRecord {
  return {
    status: 'sent',
    caller: 'plugin:reports',
    category: 'weekly-report',
    subject: `Weekly report ${overrides.id}`,
    recipientsCount: 3,
    sizeBytes: 2048,
    messageId: `<${overrides.id}@example.com>`,
    attempts: 1,
    provider: 'smtp',
    createdAt: '2026-11-29T08:00:00.000Z',
    updatedAt: '2026-11-29T08:00:01.000Z',
    ...(overrides.status === undefined || overrides.status === 'sent'
      ? { sentAt: '2026-11-29T08:00:01.000Z' }
      : {}),
    ...overrides,
  };
}

/** A message given up on: nothing accepted connections at the configured server. */
export const FAILED_DELIVERY = deliveryRecord({
  id: 'failed-1',
  status: 'failed',
  subject: 'Nightly build report',
  caller: 'plugin:ci-reports',
  category: 'build-report',
  recipientsCount: 12,
  attempts: 8,
  createdAt: '2026-11-29T07:00:00.000Z',
  updatedAt: '2026-11-29T07:30:00.000Z',
  lastError: {
    code: 'connection-refused',
    message:
      'Nothing accepts connections at smtp.example.com:587; check the server address and port, and that a firewall lets the portal through.',
    providerReply: 'connect ECONNREFUSED 192.0.2.10:587',
  },
});

/** A suppression list entry with sensible defaults, for tests to vary. */
export function suppression(
  overrides: Partial<EmailSuppression> & Pick<EmailSuppression, 'id'>,
): EmailSuppression {
  return {
    address: `${overrides.id}@example.com`,
    caller: 'plugin:notifications',
    list: 'notification:plugin:catalog',
    description: 'Notifications from the catalog',
    source: 'one-click',
    createdAt: '2026-11-29T08:00:00.000Z',
    ...overrides,
  };
}

/** Whether a record matches every filter given, as the backend reads them. */
function matchesFilter(record: DeliveryRecord, filter: DeliveryLogFilter) {
  const created = Date.parse(record.createdAt);
  const subjectWords = record.subject.toLowerCase().split(/\W+/);
  return (
    (!filter.status || record.status === filter.status) &&
    (!filter.caller || record.caller === filter.caller) &&
    (!filter.category || record.category === filter.category) &&
    (!filter.q ||
      filter.q
        .toLowerCase()
        .split(/\s+/)
        .every(word => subjectWords.some(w => w.startsWith(word)))) &&
    (!filter.from || created >= Date.parse(filter.from)) &&
    (!filter.to || created < Date.parse(filter.to))
  );
}

/** An email provider admin's access, with admins listed in `emailProvider.admins`. */
export const ADMIN_ACCESS: EmailProviderAccess = {
  settings: { read: true, update: true },
  deliveries: { read: true },
  adminsConfigured: true,
};

/** Everybody else's. */
export const NO_ACCESS: EmailProviderAccess = {
  settings: { read: false, update: false },
  deliveries: { read: false },
  adminsConfigured: true,
};

/**
 * An in-memory stand-in for the backend: saves what it is given (as the backend would read it
 * back), or refuses to, as the backend does, while the settings are managed by configuration;
 * every method a jest mock so tests can change an answer or inspect calls.
 */
export class FakeEmailProviderApi implements EmailProviderApi {
  settings: EmailProviderSettings;
  version: number;
  /** The delivery log, newest first, as `listMessages` pages through it. */
  messages: DeliveryRecord[] = [];
  summary: DeliverySummary = { waiting: 0, failedLast24Hours: 0 };
  /** Which messages go to which addresses, for the recipient filter: id → addresses. */
  recipients: Record<string, string[]> = {};
  /** How many matching messages `listMessages` counts before it says "more than". */
  countLimit = DELIVERY_LOG_COUNT_LIMIT;
  /** What `getStats` answers; by default as many empty buckets as asked for. */
  stats?: DeliveryStats;
  /** What `exportMessages` answers. */
  csv = 'id,status,subject\r\n';
  /** The suppression list, newest first, as `listSuppressions` pages through it. */
  suppressions: EmailSuppression[] = [];
  /** What `getAccess` answers: an admin by default. */
  access: EmailProviderAccess = ADMIN_ACCESS;

  constructor(settings: EmailProviderSettings = { provider: 'none' }) {
    this.settings = settings;
    this.version = 'version' in settings ? settings.version : 0;
  }

  private snapshot(): EmailProviderSettingsSnapshot {
    return { settings: this.settings, version: this.version };
  }

  getAccess = jest.fn(async (): Promise<EmailProviderAccess> => this.access);

  getSettings = jest.fn(async () => this.snapshot());

  saveSettings = jest.fn(
    async (
      input: EmailProviderSettingsInput,
      _options?: { version?: number },
    ): Promise<EmailProviderSettingsSnapshot> => {
      if (this.settings.managedBy === 'config') {
        throw await managedByConfigError();
      }
      this.version += 1;
      const revision = {
        version: this.version,
        updatedAt: '2026-11-29T08:00:00.000Z',
        updatedBy: 'user:development/guest',
      };
      if (input.provider === 'smtp') {
        const {
          password: _password,
          authentication,
          usernameSameAsFrom,
          username,
          ...server
        } = input.smtp;
        const smtp: SmtpSettings =
          authentication === 'none'
            ? { ...server, authentication: 'none', passwordSet: false }
            : {
                ...server,
                usernameSameAsFrom,
                username: usernameSameAsFrom
                  ? server.from
                  : username ?? server.from,
                passwordSet: true,
              };
        this.settings = { provider: 'smtp', ...revision, smtp };
      } else if (input.provider === 'microsoft365') {
        const {
          clientSecret: _secret,
          clientCertificatePem: _pem,
          clientSecretExpiresAt,
          cloud,
          credential,
          largeMessages,
          ...application
        } = input.microsoft365;
        // As the backend reads them back: defaults left out, the expiry of the credential in use.
        const microsoft365: Microsoft365Settings = {
          ...application,
          ...(cloud && cloud !== 'global' ? { cloud } : {}),
          ...(credential === 'certificate'
            ? {
                credential: 'certificate',
                clientSecretSet: false,
                clientCertificateSet: true,
                certificate: TEST_CERTIFICATE,
                credentialExpiresAt: TEST_CERTIFICATE.notAfter,
              }
            : {
                clientSecretSet: true,
                ...(clientSecretExpiresAt
                  ? {
                      clientSecretExpiresAt,
                      credentialExpiresAt: new Date(
                        clientSecretExpiresAt,
                      ).toISOString(),
                    }
                  : {}),
              }),
          ...(largeMessages ? { largeMessages: true } : {}),
        };
        this.settings = { provider: 'microsoft365', ...revision, microsoft365 };
      } else {
        this.settings = { provider: 'none' };
      }
      return this.snapshot();
    },
  );

  deleteSettings = jest.fn(
    async (_options?: {
      version?: number;
    }): Promise<EmailProviderSettingsSnapshot> => {
      if (this.settings.managedBy === 'config') {
        throw await managedByConfigError();
      }
      this.version += 1;
      this.settings = { provider: 'none' };
      return this.snapshot();
    },
  );

  sendTestEmail = jest.fn(
    async (_request: { to: string }): Promise<TestEmailOutcome> => ({
      ok: true,
      messageId: '<test-1@example.com>',
      provider: 'smtp',
      durationMs: 42,
    }),
  );

  verify = jest.fn(
    async (_request?: {
      settings?: EmailProviderSettingsInput;
    }): Promise<VerifyResult> => ({
      ok: true,
      provider: 'smtp',
      steps: [
        { name: 'dns', ok: true, durationMs: 3, detail: '192.0.2.10' },
        { name: 'connect', ok: true, durationMs: 12 },
      ],
    }),
  );

  listMessages = jest.fn(
    async (filter: DeliveryFilter = {}): Promise<DeliveryList> => {
      const matching = this.messages.filter(
        message =>
          matchesFilter(message, filter) &&
          (!filter.recipient ||
            (this.recipients[message.id] ?? []).includes(
              filter.recipient.toLowerCase(),
            )),
      );
      // The cursor names the last message of the page before, as the backend's does in its way.
      const start = filter.cursor
        ? matching.findIndex(
            message => `after_${message.id}` === filter.cursor,
          ) + 1
        : filter.offset ?? 0;
      const items = matching.slice(start, start + (filter.limit ?? 50));
      const last = items[items.length - 1];
      return {
        items,
        totalCount: Math.min(matching.length, this.countLimit),
        ...(matching.length > this.countLimit
          ? { totalCountCapped: true as const }
          : {}),
        ...(last && start + items.length < matching.length
          ? { nextCursor: `after_${last.id}` }
          : {}),
      };
    },
  );

  exportMessages = jest.fn(
    async (_filter: DeliveryLogFilter = {}): Promise<Blob> =>
      new Blob([this.csv], { type: 'text/csv' }),
  );

  getStats = jest.fn(
    async (
      query: { bucket?: 'hour' | 'day'; since?: string; until?: string } = {},
    ): Promise<DeliveryStats> => {
      const bucket = query.bucket ?? 'hour';
      if (this.stats?.bucket === bucket) {
        return this.stats;
      }
      const length = bucket === 'hour' ? 3_600_000 : 86_400_000;
      const since = Date.parse(query.since ?? '2026-11-29T00:00:00.000Z');
      const buckets: DeliveryStatsBucket[] = Array.from(
        { length: bucket === 'hour' ? 24 : 30 },
        (_, index) => ({
          start: new Date(since + index * length).toISOString(),
          sent: 0,
          failed: 0,
          waiting: 0,
          failedByCode: {},
        }),
      );
      return { bucket, buckets };
    },
  );

  getSummary = jest.fn(async (): Promise<DeliverySummary> => this.summary);

  retryMessage = jest.fn(async (id: string): Promise<DeliveryRecord> => {
    const index = this.messages.findIndex(message => message.id === id);
    if (index === -1) {
      throw await responseError(
        404,
        'NotFoundError',
        `No message with id ${id}`,
      );
    }
    const current = this.messages[index];
    if (current.status !== 'failed') {
      throw await responseError(
        409,
        'ConflictError',
        `Message ${id} is ${current.status}; only a failed message can be retried`,
      );
    }
    // As the backend does: attempts start again, the last error stays until a new outcome.
    const queued: DeliveryRecord = {
      ...current,
      status: 'queued',
      attempts: 0,
      nextAttemptAt: '2026-11-29T08:05:00.000Z',
      updatedAt: '2026-11-29T08:05:00.000Z',
    };
    this.messages[index] = queued;
    return queued;
  });

  listSuppressions = jest.fn(
    async (query: SuppressionListQuery = {}): Promise<EmailSuppressionList> => {
      const matching = this.suppressions.filter(
        entry =>
          (!query.address ||
            entry.address.toLowerCase() === query.address.toLowerCase()) &&
          (!query.caller || entry.caller === query.caller) &&
          (!query.list || entry.list === query.list),
      );
      const start = query.cursor
        ? matching.findIndex(entry => `after_${entry.id}` === query.cursor) + 1
        : 0;
      const items = matching.slice(start, start + Number(query.limit ?? 50));
      const last = items[items.length - 1];
      return {
        items,
        ...(last && start + items.length < matching.length
          ? { nextCursor: `after_${last.id}` }
          : {}),
      };
    },
  );

  removeSuppression = jest.fn(async (id: string): Promise<void> => {
    if (!this.suppressions.some(entry => entry.id === id)) {
      throw await responseError(
        404,
        'NotFoundError',
        `No suppression with id ${id}`,
      );
    }
    this.suppressions = this.suppressions.filter(entry => entry.id !== id);
  });
}
