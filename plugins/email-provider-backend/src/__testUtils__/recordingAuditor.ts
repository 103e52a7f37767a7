import { mockServices } from '@backstage/backend-test-utils';

/** An audit event as a test sees it: `<eventId>`, then `<eventId>:success` or `<eventId>:fail`. */
export type RecordedAuditEvent = { eventId: string; meta?: unknown };

/**
 * The auditor service for `startTestBackend`, keeping every event it is given, in order, in
 * `events`: a test can then check what an admin action left in the audit log.
 */
export function recordingAuditor() {
  const events: RecordedAuditEvent[] = [];
  const auditor = mockServices.auditor.mock({
    createEvent: async options => {
      events.push({ eventId: options.eventId, meta: options.meta });
      return {
        success: async params => {
          events.push({
            eventId: `${options.eventId}:success`,
            meta: params?.meta,
          });
        },
        fail: async params => {
          events.push({
            eventId: `${options.eventId}:fail`,
            meta: params.meta,
          });
        },
      };
    },
  });
  return { factory: auditor.factory, events };
}
