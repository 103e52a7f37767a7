import {
  BackendFeature,
  coreServices,
  createServiceFactory,
  LoggerService,
} from '@backstage/backend-plugin-api';
import {
  mockCredentials,
  mockServices,
  startTestBackend,
} from '@backstage/backend-test-utils';
import { JsonObject } from '@backstage/config';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import { Knex } from 'knex';
import { Server } from 'node:http';
import request from 'supertest';
import { emailProviderPlugin } from '../plugin';
import { RecordedAuditEvent, recordingAuditor } from './recordingAuditor';

export const ADMIN = 'user:default/ada';
/** A second user: an admin through a group, or a delivery-log reader, as the test's policy says. */
export const GRACE = 'user:default/grace';
export const NON_ADMIN = 'user:default/mallory';
export const TEST_ENCRYPTION_KEY = 'test-key-0123456789abcdef0123456789abcdef';

/** The group `GRACE` is in, for tests that list it in `emailProvider.admins`. */
export const ADMIN_GROUP = 'group:default/mail-admins';

/** The user info service of a portal where `GRACE` is a member of `ADMIN_GROUP`. */
export const userInfoWithAdminGroup = mockServices.userInfo.mock({
  getUserInfo: async credentials => {
    const ref = (credentials.principal as { userEntityRef: string })
      .userEntityRef;
    return {
      userEntityRef: ref,
      ownershipEntityRefs: ref === GRACE ? [ref, ADMIN_GROUP] : [ref],
    };
  },
});

/** The Authorization header of a user's request. */
export const asUser = (ref: string) => mockCredentials.user.header(ref);

/** The plugin `reports` calling the email-provider backend, as a backend plugin calls it. */
export const REPORTS_PLUGIN = mockCredentials.service.header({
  onBehalfOf: mockCredentials.service('plugin:reports'),
  targetPluginId: 'email-provider',
});

/**
 * The callers of the routes that take and list messages: the admin, a reader of the delivery
 * log (as the test's policy says), a user who may do neither, and a backend plugin.
 */
export const messageCallers = {
  ADMIN,
  READER: GRACE,
  OTHER: NON_ADMIN,
  SERVICE: REPORTS_PLUGIN,
};

/** One line the backend logged, its meta as JSON would carry it (errors with stack and cause). */
export type LogEntry = {
  level: string;
  message: string;
  fields: Record<string, unknown>;
  meta?: any;
};

const serialize = (value: unknown): unknown =>
  value instanceof Error
    ? {
        ...value,
        name: value.name,
        message: value.message,
        stack: value.stack,
        cause: serialize(value.cause),
      }
    : value;

/** A log entry as one line of text: `<level>: <message> <meta> <fields>`. */
export const logLine = (entry: LogEntry) =>
  `${entry.level}: ${entry.message}${
    entry.meta === undefined ? '' : ` ${JSON.stringify(entry.meta)}`
  } ${JSON.stringify(entry.fields)}`;

/**
 * The root logger for `startTestBackend`, keeping every line the backend logs, audit events
 * included, in `entries` and as text in `lines`: a test can check what was logged, and that no
 * secret ever was.
 */
export function capturingRootLogger() {
  const entries: LogEntry[] = [];
  const lines: string[] = [];
  const make = (fields: Record<string, unknown>): LoggerService => {
    const log = (level: string) => (message: string, meta?: unknown) => {
      const entry: LogEntry = JSON.parse(
        JSON.stringify({ level, message, fields, meta: serialize(meta) }),
      );
      entries.push(entry);
      lines.push(logLine(entry));
    };
    return {
      error: log('error'),
      warn: log('warn'),
      info: log('info'),
      debug: log('debug'),
      child: meta => make({ ...fields, ...meta }),
    };
  };
  const factory = createServiceFactory({
    service: coreServices.rootLogger,
    deps: {},
    factory: () => make({}),
  });
  return { factory, entries, lines };
}

/** Who may do what: the caller (a user's entity ref, or a service) and the permission's name. */
export type TestPermissionPolicy = (
  caller: { userEntityRef?: string; service: boolean },
  permission: string,
) => boolean;

export const allowEveryone: TestPermissionPolicy = () => true;

/** The permissions service deciding by `policy`, as a portal's permission backend would. */
export function permissionsDecidedBy(policy: TestPermissionPolicy) {
  return mockServices.permissions.mock({
    authorize: async (requests, { credentials }) => {
      const principal = credentials.principal as {
        type: string;
        userEntityRef?: string;
      };
      const caller = {
        userEntityRef: principal.userEntityRef,
        service: principal.type === 'service',
      };
      return requests.map(r => ({
        result: policy(caller, r.permission.name)
          ? AuthorizeResult.ALLOW
          : AuthorizeResult.DENY,
      }));
    },
  }).factory;
}

export type EmailProviderTestBackend = {
  server: Server;
  stop(): Promise<void>;
  /** Calls a route of the plugin, as the admin unless another caller's header is given. */
  api(
    method: 'get' | 'post' | 'put' | 'delete',
    path: string,
    caller?: string,
    body?: object,
  ): request.Test;
  /** The audit events, unless `audit: 'logged'` sent them to the log. */
  auditEvents: RecordedAuditEvent[];
  /** Every line logged, as text. */
  logs: string[];
  logEntries: LogEntry[];
};

export type EmailProviderTestBackendOptions = {
  /** The plugin's database; the test backend's own SQLite in memory when left out. */
  database?: Knex;
  /** Turns the permission framework on, deciding by this policy. */
  permissions?: TestPermissionPolicy;
  /** `emailProvider` configuration, over a test encryption key. */
  emailProvider?: object;
  /** More configuration, outside `emailProvider`. */
  config?: object;
  /** More plugins, modules or services for the backend. */
  features?: BackendFeature[];
  /**
   * `recorded`: audit events are kept in `auditEvents`; `logged`: Backstage's auditor writes them
   * to the log, as in a portal.
   */
  audit?: 'recorded' | 'logged';
  /** `false`: the test backend's own logger, which keeps nothing and costs nothing under load. */
  captureLogs?: boolean;
};

/**
 * The email-provider backend in a test backend: its database, permissions and configuration as
 * the test says, every log line captured, and `api` to call its routes (as the admin unless told).
 */
export async function startEmailProviderTestBackend(
  options: EmailProviderTestBackendOptions = {},
): Promise<EmailProviderTestBackend> {
  const auditor = recordingAuditor();
  const logger = capturingRootLogger();
  const backend = await startTestBackend({
    features: [
      emailProviderPlugin,
      ...(options.captureLogs === false ? [] : [logger.factory]),
      options.audit === 'logged'
        ? mockServices.auditor.factory()
        : auditor.factory,
      ...(options.database
        ? [mockServices.database.factory({ knex: options.database })]
        : []),
      ...(options.permissions
        ? [permissionsDecidedBy(options.permissions)]
        : []),
      ...(options.features ?? []),
      mockServices.rootConfig.factory({
        data: {
          permission: { enabled: options.permissions !== undefined },
          ...options.config,
          emailProvider: {
            encryption: { key: TEST_ENCRYPTION_KEY },
            ...options.emailProvider,
          },
        } as JsonObject,
      }),
    ],
  });
  const { server } = backend;
  const api = (
    method: 'get' | 'post' | 'put' | 'delete',
    path: string,
    caller = asUser(ADMIN),
    body?: object,
  ) => {
    const req = request(server)
      [method](`/api/email-provider${path}`)
      .set('Authorization', caller);
    return body ? req.send(body) : req;
  };
  return {
    server,
    stop: () => backend.stop(),
    api,
    auditEvents: auditor.events,
    logs: logger.lines,
    logEntries: logger.entries,
  };
}

/** Waits until `check` gives something, polling, or fails naming what it waited for. */
export async function eventually<T>(
  what: string,
  check: () => T | undefined | false | Promise<T | undefined | false>,
  timeoutMs = 20_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const result = await check();
    if (result) {
      return result;
    }
    if (Date.now() > deadline) {
      throw new Error(`Timed out waiting for ${what}`);
    }
    await new Promise(resolve => setTimeout(resolve, 50));
  }
}
