import {
  SendEmailBatchOutcome,
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

  /**
   * Hands many messages to the `email-provider` backend at once, such as one report to each of
   * its subscribers.
   *
   * @remarks
   *
   * Resolves with one outcome per request, in the order of `requests`: accepted, with the id and
   * status of a message the backend stored (as `send` resolves), or refused, with the `error` of
   * one it did not. Its `name` is the error `send` would have rejected with (`InputError` for an
   * invalid or too large message, `ConflictError` when no provider is active,
   * `ServiceUnavailableError` when the backend's database is away) and its `message` the reason.
   * Each outcome also names its message's `idempotencyKey`. A message's problem never rejects the
   * call: an invalid message is refused before anything is sent, and the others still go.
   *
   * The messages go in as few calls as the backend's limits allow, one call after the other: at
   * most 500 messages and about 40 MB of JSON each. A call that fails as a whole (the backend
   * cannot be reached, or answers 5xx) refuses each of its messages with that error. Give every
   * message a stable `idempotencyKey`, such as `report:2026-12:<user>`: sending the same list
   * again then stores only what is missing.
   */
  sendMany(requests: SendEmailRequest[]): Promise<SendEmailBatchOutcome[]>;
}
