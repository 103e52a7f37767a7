import { randomUUID } from 'node:crypto';
import { createServiceFactory } from '@backstage/backend-plugin-api';
import { createServiceMock } from '@backstage/backend-test-utils';
import {
  batchIdempotencyKeyOf,
  MessageStatus,
  SendEmailBatchOutcome,
  SendEmailRequest,
  SendEmailResponse,
} from '@email-provider/backstage-plugin-email-provider-common';
// The package's own name, so the testUtils API report links to the main entry point's type
// instead of reporting it as an unexported one.
import type { EmailService } from '@email-provider/backstage-plugin-email-provider-node';
import { emailServiceRef } from '../service/emailServiceRef';
import { validateSendEmailRequest } from '../service/validateSendEmailRequest';

/**
 * Options for {@link (emailServiceMock:function)}.
 *
 * @public
 */
export type EmailServiceMockOptions = {
  /** The status `send` and `sendMany` answer with; `queued` by default, as the real backend does. */
  status?: MessageStatus;
};

/**
 * An in-memory `EmailService` that records what was sent.
 *
 * @public
 */
export interface EmailServiceMock extends EmailService {
  /** The accepted requests, oldest first. A request repeating an `idempotencyKey` is not added. */
  readonly sent: SendEmailRequest[];
  /** Forgets every recorded request and idempotency key. */
  clear(): void;
}

class InMemoryEmailService implements EmailServiceMock {
  readonly sent: SendEmailRequest[] = [];
  readonly #byIdempotencyKey = new Map<string, SendEmailResponse>();
  readonly #status: MessageStatus;

  constructor(options?: EmailServiceMockOptions) {
    this.#status = options?.status ?? 'queued';
  }

  async send(request: SendEmailRequest): Promise<SendEmailResponse> {
    const message = validateSendEmailRequest(request);
    const key = message.idempotencyKey;
    const earlier =
      key === undefined ? undefined : this.#byIdempotencyKey.get(key);
    if (earlier) {
      return { ...earlier };
    }
    const response: SendEmailResponse = {
      id: randomUUID(),
      status: this.#status,
    };
    this.sent.push(structuredClone(message));
    if (key !== undefined) {
      this.#byIdempotencyKey.set(key, response);
    }
    return { ...response };
  }

  async sendMany(
    requests: SendEmailRequest[],
  ): Promise<SendEmailBatchOutcome[]> {
    const outcomes: SendEmailBatchOutcome[] = [];
    for (const request of requests) {
      const key = batchIdempotencyKeyOf(request);
      const named = key === undefined ? {} : { idempotencyKey: key };
      try {
        outcomes.push({
          accepted: true,
          ...(await this.send(request)),
          ...named,
        });
      } catch (error) {
        const { name, message } = error as Error;
        outcomes.push({ accepted: false, error: { name, message }, ...named });
      }
    }
    return outcomes;
  }

  clear(): void {
    this.sent.length = 0;
    this.#byIdempotencyKey.clear();
  }
}

/**
 * Creates an in-memory email service for tests. It validates requests exactly like the real one
 * (an invalid request rejects with an `InputError`, or `sendMany` refuses it in its outcome),
 * records accepted requests in `.sent`, and answers a repeated `idempotencyKey` with the first
 * message, as the `email-provider` backend does. Nothing is delivered anywhere.
 *
 * @public
 */
export function emailServiceMock(
  options?: EmailServiceMockOptions,
): EmailServiceMock {
  return new InMemoryEmailService(options);
}

/**
 * Mock variants of the email service for tests.
 *
 * @public
 */
export namespace emailServiceMock {
  /**
   * A service factory for `startTestBackend` that installs an in-memory email service. Pass the
   * instance to assert on (`const email = emailServiceMock()`); without one, every plugin gets
   * its own fresh instance.
   */
  export const factory = (service?: EmailServiceMock) =>
    createServiceFactory({
      service: emailServiceRef,
      deps: {},
      factory: () => service ?? emailServiceMock(),
    });

  /**
   * An email service whose `send` and `sendMany` are `jest.fn()`s, optionally with an
   * implementation; its `.factory` installs it in a test backend.
   */
  export const mock = createServiceMock<EmailService>(emailServiceRef, () => ({
    send: jest.fn(),
    sendMany: jest.fn(),
  }));
}
