import { AuthService, DiscoveryService } from '@backstage/backend-plugin-api';
import { isError, ResponseError } from '@backstage/errors';
import {
  batchIdempotencyKeyOf,
  MAX_BATCH_MESSAGES,
  MessageStatus,
  SendEmailBatchOutcome,
  SendEmailRequest,
  SendEmailResponse,
} from '@email-provider/backstage-plugin-email-provider-common';
import { EmailService } from './EmailService';
import { validateSendEmailRequest } from './validateSendEmailRequest';

const EMAIL_PROVIDER_PLUGIN_ID = 'email-provider';
const REQUEST_TIMEOUT_MS = 60_000;
// A batch carries up to 40 MB, which takes a while to upload over a slow link.
const BATCH_REQUEST_TIMEOUT_MS = 120_000;
// Under the 50 MB the backend reads by default (emailProvider.delivery.maxBatchSizeMb), with room
// for the envelope.
const MAX_BATCH_BODY_BYTES = 40 * 1024 * 1024;

/** The reason `ResponseError.fromResponse` made up when the answer was no Backstage error body. */
const isMadeUpReason = (error: ResponseError) =>
  error.cause.message.startsWith('Request failed with status');

/**
 * `ResponseError.fromResponse`, with the backend's reason added to the message: the plain one
 * reads only "Request failed with 409 Conflict", which says nothing in a task's log.
 */
async function responseError(response: Response): Promise<ResponseError> {
  const error = await ResponseError.fromResponse(response);
  const reason = error.cause.message;
  if (reason && !isMadeUpReason(error)) {
    error.message = `${error.message}: ${reason}`;
  }
  return error;
}

/**
 * A failure as an outcome names it: a backend's error by the class it answered with (an
 * `InputError` stays one), anything else by its own name, with what caused it.
 */
function failureOf(error: unknown): { name: string; message: string } {
  if (!isError(error)) {
    return { name: 'Error', message: String(error) };
  }
  if (error instanceof ResponseError) {
    return {
      name: isMadeUpReason(error) ? error.name : error.cause.name,
      message: error.message,
    };
  }
  // fetch's own message is only "fetch failed"; the cause says what failed.
  const cause = isError(error.cause) ? ` (${error.cause.message})` : '';
  return { name: error.name, message: `${error.message}${cause}` };
}

const withKey = (idempotencyKey: string | undefined) =>
  idempotencyKey === undefined ? {} : { idempotencyKey };

const refused = (
  error: unknown,
  idempotencyKey: string | undefined,
): SendEmailBatchOutcome => ({
  accepted: false,
  error: failureOf(error),
  ...withKey(idempotencyKey),
});

/** One message of a `sendMany` on its way: where it goes in the answer, and its JSON. */
type BatchEntry = {
  index: number;
  json: string;
  idempotencyKey?: string;
};

/** The outcome the backend answered for one message, or a refusal if it is not one. */
function outcomeFrom(
  answer: unknown,
  idempotencyKey: string | undefined,
): SendEmailBatchOutcome {
  const outcome = answer as {
    accepted?: unknown;
    id?: unknown;
    status?: unknown;
    error?: { name?: unknown; message?: unknown };
  } | null;
  if (
    outcome?.accepted === true &&
    typeof outcome.id === 'string' &&
    typeof outcome.status === 'string'
  ) {
    return {
      accepted: true,
      id: outcome.id,
      status: outcome.status as MessageStatus,
      ...withKey(idempotencyKey),
    };
  }
  const error = outcome?.error;
  if (
    outcome?.accepted === false &&
    typeof error?.name === 'string' &&
    typeof error.message === 'string'
  ) {
    return {
      accepted: false,
      error: { name: error.name, message: error.message },
      ...withKey(idempotencyKey),
    };
  }
  return refused(
    new Error(
      'Unexpected answer from the email-provider backend: expected { accepted, id, status } or { accepted, error }',
    ),
    idempotencyKey,
  );
}

/**
 * Options for {@link DefaultEmailService.create}.
 *
 * @public
 */
export type DefaultEmailServiceOptions = {
  auth: AuthService;
  discovery: DiscoveryService;
};

/**
 * The {@link EmailService} that `emailServiceRef` provides by default: validates the request, then
 * posts it to the `email-provider` backend (`POST /api/email-provider/messages`, or
 * `POST /api/email-provider/messages/batch` for `sendMany`) with a plugin token of the calling
 * plugin.
 *
 * @public
 */
export class DefaultEmailService implements EmailService {
  /** Creates the service for one plugin, with that plugin's `auth` and `discovery` services. */
  static create(options: DefaultEmailServiceOptions): DefaultEmailService {
    return new DefaultEmailService(options.auth, options.discovery);
  }

  private constructor(
    private readonly auth: AuthService,
    private readonly discovery: DiscoveryService,
  ) {}

  /** {@inheritDoc EmailService.send} */
  async send(request: SendEmailRequest): Promise<SendEmailResponse> {
    const message = validateSendEmailRequest(request);
    // Storing a message is quick; a backend that does not answer must not hang the caller.
    const response = await this.post(
      '/messages',
      JSON.stringify(message),
      REQUEST_TIMEOUT_MS,
    );
    if (!response.ok) {
      throw await responseError(response);
    }

    const body = await response.json().catch(() => undefined);
    if (typeof body?.id !== 'string' || typeof body?.status !== 'string') {
      throw new Error(
        `Unexpected answer from the email-provider backend (HTTP ${response.status}): expected { id, status }`,
      );
    }
    return { id: body.id, status: body.status };
  }

  /** {@inheritDoc EmailService.sendMany} */
  async sendMany(
    requests: SendEmailRequest[],
  ): Promise<SendEmailBatchOutcome[]> {
    const outcomes = new Array<SendEmailBatchOutcome>(requests.length);
    const valid: Array<{ index: number; message: SendEmailRequest }> = [];
    requests.forEach((request, index) => {
      try {
        valid.push({ index, message: validateSendEmailRequest(request) });
      } catch (error) {
        outcomes[index] = refused(error, batchIdempotencyKeyOf(request));
      }
    });

    // Each message becomes JSON only as its batch is filled: a report's attachment, one string
    // shared by all its requests, is copied into one batch at a time.
    let batch: BatchEntry[] = [];
    let batchBytes = 0;
    const flush = async () => {
      const answered = await this.postBatch(batch);
      batch.forEach((entry, i) => {
        outcomes[entry.index] = answered[i];
      });
      batch = [];
      batchBytes = 0;
    };
    for (const { index, message } of valid) {
      const json = JSON.stringify(message);
      const bytes = Buffer.byteLength(json) + 1;
      if (
        batch.length === MAX_BATCH_MESSAGES ||
        (batch.length > 0 && batchBytes + bytes > MAX_BATCH_BODY_BYTES)
      ) {
        await flush();
      }
      batch.push({ index, json, idempotencyKey: message.idempotencyKey });
      batchBytes += bytes;
    }
    if (batch.length > 0) {
      await flush();
    }
    return outcomes;
  }

  /** Posts one batch; answers with an outcome for each of its messages, in order. */
  private async postBatch(
    batch: BatchEntry[],
  ): Promise<SendEmailBatchOutcome[]> {
    try {
      const response = await this.post(
        '/messages/batch',
        `{"messages":[${batch.map(entry => entry.json).join(',')}]}`,
        BATCH_REQUEST_TIMEOUT_MS,
      );
      if (response.status === 413 && batch.length > 1) {
        // The portal reads less at once (emailProvider.delivery.maxBatchSizeMb): in halves.
        await response.body?.cancel();
        const half = Math.ceil(batch.length / 2);
        return [
          ...(await this.postBatch(batch.slice(0, half))),
          ...(await this.postBatch(batch.slice(half))),
        ];
      }
      if (!response.ok) {
        throw await responseError(response);
      }
      const body = await response.json().catch(() => undefined);
      const results: unknown = body?.results;
      if (!Array.isArray(results) || results.length !== batch.length) {
        throw new Error(
          `Unexpected answer from the email-provider backend (HTTP ${response.status}): expected { results } with one outcome per message`,
        );
      }
      return batch.map((entry, i) =>
        outcomeFrom(results[i], entry.idempotencyKey),
      );
    } catch (error) {
      return batch.map(entry => refused(error, entry.idempotencyKey));
    }
  }

  /** Posts a JSON body to the backend with a plugin token of the calling plugin. */
  private async post(
    path: string,
    body: string,
    timeoutMs: number,
  ): Promise<Response> {
    const baseUrl = await this.discovery.getBaseUrl(EMAIL_PROVIDER_PLUGIN_ID);
    const { token } = await this.auth.getPluginRequestToken({
      onBehalfOf: await this.auth.getOwnServiceCredentials(),
      targetPluginId: EMAIL_PROVIDER_PLUGIN_ID,
    });
    return fetch(`${baseUrl}${path}`, {
      method: 'POST',
      headers: {
        'Content-Type': 'application/json',
        Accept: 'application/json',
        Authorization: `Bearer ${token}`,
      },
      body,
      signal: AbortSignal.timeout(timeoutMs),
    });
  }
}
