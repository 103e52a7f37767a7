import {
  BackendFeature,
  coreServices,
  createServiceFactory,
  SchedulerService,
} from '@backstage/backend-plugin-api';
import { mockServices } from '@backstage/backend-test-utils';
import { JsonObject } from '@backstage/config';
import { Entity } from '@backstage/catalog-model';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import notificationsPlugin from '@backstage/plugin-notifications-backend';
import { Notification } from '@backstage/plugin-notifications-common';
import { Knex } from 'knex';
import request from 'supertest';
import {
  ADMIN,
  asUser,
  GRACE,
  startEmailProviderTestBackend,
} from './emailProviderTestBackend';

export { ADMIN, eventually, NON_ADMIN } from './emailProviderTestBackend';
/** An admin through the group listed in `emailProvider.admins`. */
export const GROUP_ADMIN = GRACE;
const ADMIN_GROUP = 'group:default/mail-admins';

const entities: Entity[] = [
  ...['ada', 'grace', 'mallory'].map(name => ({
    apiVersion: 'backstage.io/v1alpha1',
    kind: 'User',
    metadata: { name },
    spec: { profile: {}, memberOf: [] },
  })),
  {
    apiVersion: 'backstage.io/v1alpha1',
    kind: 'Group',
    metadata: { name: 'mail-admins' },
    spec: { type: 'team', children: [] },
    // The catalog's processors add these; the notifications backend expands groups through them.
    relations: [{ type: 'hasMember', targetRef: GROUP_ADMIN }],
  },
];

type ScheduledTask = Parameters<SchedulerService['scheduleTask']>[0];

/** Each plugin's own database, as a portal gives them, kept across restarts and replicas. */
export type PortalDatabases = Record<'email-provider' | 'notifications', Knex>;

/**
 * A portal replica in one process: the email-provider backend and, unless left out, the real
 * notifications backend, with the catalog in memory. Scheduled tasks do not run by themselves:
 * `runTask` runs one now, as the scheduler would on this replica.
 */
export async function startAlertsPortal(options: {
  databases: PortalDatabases;
  withNotifications?: boolean;
  emailProvider?: JsonObject;
  /** More plugins or modules for the backend. */
  features?: BackendFeature[];
  /** More configuration, outside `emailProvider`. */
  config?: JsonObject;
}) {
  const tasks = new Map<string, ScheduledTask>();
  const scheduler = mockServices.scheduler.mock({
    scheduleTask: async task => {
      tasks.set(task.id, task);
    },
    createScheduledTaskRunner: schedule => ({
      run: async task => {
        tasks.set(task.id, { ...task, ...schedule });
      },
    }),
  });
  const database = createServiceFactory({
    service: coreServices.database,
    deps: { plugin: coreServices.pluginMetadata },
    factory: ({ plugin }) => {
      const knex = options.databases[plugin.getId() as keyof PortalDatabases];
      return { getClient: async () => knex };
    },
  });
  const backend = await startEmailProviderTestBackend({
    features: [
      ...(options.withNotifications === false ? [] : [notificationsPlugin]),
      ...(options.features ?? []),
      catalogServiceMock.factory({ entities }),
      database,
      scheduler.factory,
    ],
    config: {
      ...options.config,
      app: { baseUrl: 'http://portal.example.com:3000' },
    },
    emailProvider: {
      admins: [ADMIN, ADMIN_GROUP],
      encryption: { key: 'alerts-test-key-0123456789abcdef0123456789' },
      ...options.emailProvider,
    },
  });
  const { server } = backend;

  return {
    server,
    logs: backend.logs,
    /** The tasks the plugins scheduled, by id. */
    tasks,
    stop: backend.stop,
    /** Runs a task the plugins scheduled, now, and waits for it; fails as the task fails. */
    runTask: async (id: string) => {
      const task = tasks.get(id);
      if (!task) {
        throw new Error(`No task ${id} was scheduled`);
      }
      await task.fn(new AbortController().signal);
    },
    /** What the bell shows the user, from the notifications backend's REST API. */
    notificationsOf: async (user: string): Promise<Notification[]> => {
      const res = await request(server)
        .get('/api/notifications')
        .set('Authorization', asUser(user));
      if (res.status !== 200) {
        throw new Error(`GET /api/notifications answered ${res.status}`);
      }
      return (res.body as { notifications: Notification[] }).notifications;
    },
    markRead: async (user: string, ids: string[]) => {
      const res = await request(server)
        .post('/api/notifications/update')
        .set('Authorization', asUser(user))
        .send({ ids, read: true });
      if (res.status !== 200) {
        throw new Error(
          `POST /api/notifications/update answered ${res.status}`,
        );
      }
    },
    /** Saves settings through the admin API, as the admin; returns the answer. */
    saveSettings: (body: object) =>
      backend.api('put', '/settings', asUser(ADMIN), body),
    deleteSettings: () => backend.api('delete', '/settings'),
  };
}

export type AlertsPortal = Awaited<ReturnType<typeof startAlertsPortal>>;

/**
 * Starts `count` replicas of the portal on the same databases, one after the other, as a rolling
 * deployment starts them (each migrates the database first).
 */
export async function startReplicas(
  count: number,
  options: Parameters<typeof startAlertsPortal>[0],
): Promise<AlertsPortal[]> {
  const started: AlertsPortal[] = [];
  for (let i = 0; i < count; i++) {
    started.push(await startAlertsPortal(options));
  }
  return started;
}

/**
 * Fakes only the clock, and lets it run: servers, database pools and the tests' waits keep their
 * real timers, while every `new Date()` in the backend reads the time `jest.setSystemTime` moved
 * to. Undo with `jest.useRealTimers()`.
 */
export function useMovableClock() {
  jest.useFakeTimers({
    now: Date.now(),
    advanceTimers: true,
    doNotFake: [
      'hrtime',
      'nextTick',
      'performance',
      'queueMicrotask',
      'requestAnimationFrame',
      'cancelAnimationFrame',
      'requestIdleCallback',
      'cancelIdleCallback',
      'setImmediate',
      'clearImmediate',
      'setInterval',
      'clearInterval',
      'setTimeout',
      'clearTimeout',
    ],
  });
}
