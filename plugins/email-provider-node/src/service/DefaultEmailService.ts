import { AuthService, DiscoveryService } from '@backstage/backend-plugin-api';
import { ResponseError } from '@backstage/errors';
import {
  SendEmailRequest,
  SendEmailResponse,
} from '@email-provider/backstage-plugin-email-provider-common';
import { EmailService } from './EmailService';
import { validateSendEmailRequest } from './validateSendEmailRequest';

const EMAIL_PROVIDER_PLUGIN_ID = 'email-provider';
const REQUEST_TIMEOUT_MS = 60_000;

/**
 * `ResponseError.fromResponse`, with the backend's reason added to the message: the plain one
 * reads only "Request failed with 409 Conflict", which says nothing in a task's log.
 */
async function responseError(response: Response): Promise<ResponseError> {
  const error = await ResponseError.fromResponse(response);
  const reason = error.cause.message;
  if (reason && !reason.startsWith('Request failed with status')) {
    error.message = `${error.message}: ${reason}`;
  }
  return error;
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
 * posts it to the `email-provider` backend (`POST /api/email-provider/messages`) with a plugin
 * token of the calling plugin.
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

    const baseUrl = await this.discovery.getBaseUrl(EMAIL_PROVIDER_PLUGIN_ID);
    const { token } = await this.auth.getPluginRequestToken({
      onBehalfOf: await this.auth.getOwnServiceCredentials(),
      targetPluginId: EMAIL_PROVIDER_PLUGIN_ID,
    });

    const response = await fetch(`${baseUrl}/messages`, {
      method: 'POST',
      headers: {
        'Content-Type': 'application/json',
        Accept: 'application/json',
        Authorization: `Bearer ${token}`,
      },
      body: JSON.stringify(message),
      // Storing a message is quick; a backend that does not answer must not hang the caller.
      signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
    });
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
}
