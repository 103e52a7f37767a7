import { createApiRef } from '@backstage/frontend-plugin-api';
import type {
  DeliveryList,
  DeliveryRecord,
  DeliveryLogFilter,
  DeliveryLogQuery,
  DeliveryStats,
  DeliverySummary,
  EmailFailure,
  EmailProviderAccess,
  EmailProviderSettings,
  EmailProviderSettingsInput,
  EmailSuppressionList,
  SuppressionListQuery,
  TestEmailResult,
  VerifyResult,
} from '@email-provider/backstage-plugin-email-provider-common';

/**
 * The active provider as read, with the version a save must name in `If-Match`.
 *
 * @public
 */
export type EmailProviderSettingsSnapshot = {
  settings: EmailProviderSettings;
  /**
   * The version of the settings row (the `ETag`); undefined when the server did not expose it,
   * in which case a save is not conditional.
   */
  version?: number;
};

/**
 * A test email the provider refused (`502` from `POST /test-email`): the classified failure with
 * the sentence that says what to fix.
 *
 * @public
 */
export type TestEmailFailureResult = {
  ok: false;
  provider: 'smtp' | 'microsoft365';
  durationMs: number;
  failure: EmailFailure;
};

/**
 * What `POST /test-email` answered: sent, or refused by the provider.
 *
 * @public
 */
export type TestEmailOutcome = TestEmailResult | TestEmailFailureResult;

/**
 * Which part of the delivery log to read (`GET /messages`): the messages matching every filter
 * given, newest first, `limit` of them (1 to 200, 50 by default) after `cursor` (the previous
 * page's `nextCursor`) or from `offset`. `since` and `until` are the former names of `from` and
 * `to`.
 *
 * @public
 */
export type DeliveryFilter = DeliveryLogQuery;

/**
 * The email-provider backend's admin API, as the settings page uses it. Every method throws a
 * `ResponseError` (`@backstage/errors`) for an error answer, except a provider failure during
 * a test email, which `sendTestEmail` returns so that its failure can be shown.
 *
 * @public
 */
export interface EmailProviderApi {
  /**
   * `GET /access`: what the signed-in user may do, as the backend decides it on every admin
   * route (`emailProvider.admins`, narrowed by the portal's permission policy).
   */
  getAccess(): Promise<EmailProviderAccess>;
  /** `GET /settings`: the active provider, never a secret. */
  getSettings(): Promise<EmailProviderSettingsSnapshot>;
  /**
   * `PUT /settings`: activates or replaces the provider. With `version`, the save is refused
   * with 409 if someone else saved in between. Invalid settings are refused with a
   * `ResponseError` (400) whose `body.error.issues` names each field (`FieldInputErrorBody` of
   * `-common`; read them with its `fieldIssuesOf`).
   */
  saveSettings(
    settings: EmailProviderSettingsInput,
    options?: { version?: number },
  ): Promise<EmailProviderSettingsSnapshot>;
  /** `DELETE /settings`: no provider; every saved setting and secret is deleted. */
  deleteSettings(options?: {
    version?: number;
  }): Promise<EmailProviderSettingsSnapshot>;
  /** `POST /test-email`: sends the test email through the saved provider now. */
  sendTestEmail(request: { to: string }): Promise<TestEmailOutcome>;
  /**
   * `POST /verify`: checks the connection step by step, for the saved settings or, with
   * `settings`, for a draft; nothing is sent. A refused draft's issues name its fields under
   * `settings.` (`settings.smtp.port`).
   */
  verify(request?: {
    settings?: EmailProviderSettingsInput;
  }): Promise<VerifyResult>;
  /** `GET /messages`: a page of the delivery log, newest first, with a count for paging. */
  listMessages(filter?: DeliveryFilter): Promise<DeliveryList>;
  /**
   * `GET /messages/export.csv`: every message matching the filter as CSV (no bodies,
   * attachments, addresses or secrets), for a download.
   */
  exportMessages(filter?: DeliveryLogFilter): Promise<Blob>;
  /** `GET /stats`: messages sent, failed and waiting per hour or per day, for the chart. */
  getStats(query?: {
    bucket?: 'hour' | 'day';
    since?: string;
    until?: string;
  }): Promise<DeliveryStats>;
  /** `GET /summary`: last success, last failure, messages waiting, failed in the last 24 hours. */
  getSummary(): Promise<DeliverySummary>;
  /**
   * `POST /messages/:id/retry`: queues a failed message again and returns its record; a
   * message that is not failed gets 409.
   */
  retryMessage(id: string): Promise<DeliveryRecord>;
  /**
   * `GET /suppressions`: a page of the addresses that unsubscribed from a caller's list (one
   * click on a message's unsubscribe link), newest first; the next page after `cursor` (the
   * previous page's `nextCursor`). `address` finds the entries of that exact address.
   */
  listSuppressions(query?: SuppressionListQuery): Promise<EmailSuppressionList>;
  /**
   * `DELETE /suppressions/:id`: the address gets that caller's list again; an unknown id (one
   * removed already) gets 404.
   */
  removeSuppression(id: string): Promise<void>;
}

/**
 * The {@link EmailProviderApi}.
 *
 * @public
 */
export const emailProviderApiRef = createApiRef<EmailProviderApi>().with({
  id: 'plugin.email-provider.api',
  pluginId: 'email-provider',
});
