/**
 * The email service for backend plugins: `emailServiceRef` sends mail through the portal's
 * email provider (the `email-provider` backend plugin). Test helpers live in `./testUtils`.
 *
 * @packageDocumentation
 */

export * from './service';
export type {
  EmailAttachment,
  MessageStatus,
  SendEmailBatchOutcome,
  SendEmailRequest,
  SendEmailResponse,
} from '@email-provider/backstage-plugin-email-provider-common';
