import {
  SendEmailRequest,
  SendEmailResponse,
} from '@email-provider/backstage-plugin-email-provider-common';

/**
 * Sends email through the portal's email provider, whichever provider (SMTP, Microsoft 365) the
 * admin has configured. Get it in a backend plugin with `deps: { email: emailServiceRef }`.
 *
 * @public
 */
export interface EmailService {
  /**
   * Hands one message to the `email-provider` backend.
   *
   * @remarks
   *
   * Resolves once the backend has validated the message and stored it in its outbox, with the
   * message's id and status (usually `queued`). Delivery happens afterwards, with retries; follow
   * it in the delivery log (`GET /api/email-provider/messages/:id`). A resolved promise does not
   * mean the mail has reached the recipients.
   *
   * Rejects with an `InputError` for an invalid request (nothing is sent), and with a
   * `ResponseError` when the backend refuses the message, for example because no provider is
   * configured or the message is too large.
   *
   * Give a stable `idempotencyKey` when the call may be repeated (a retried scheduled task): the
   * backend then answers a repeated request with the first message instead of sending again.
   */
  send(request: SendEmailRequest): Promise<SendEmailResponse>;
}
