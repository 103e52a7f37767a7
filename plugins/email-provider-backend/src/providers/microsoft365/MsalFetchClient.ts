import {
  AuthError,
  INetworkModule,
  NetworkRequestOptions,
  NetworkResponse,
} from '@azure/msal-node';

/**
 * The token endpoint could not be reached, did not answer in time, or answered something MSAL
 * would misreport: throttling or an outage (MSAL keeps no Retry-After), or a body that is not
 * OAuth JSON, such as a proxy's error page.
 */
export class TokenEndpointError extends AuthError {
  /** The scheme, host and port of the token endpoint; never its query or the request body. */
  readonly origin: string;
  readonly status?: number;
  readonly retryAfter?: string;
  readonly reply?: string;

  constructor(
    message: string,
    details: {
      origin: string;
      status?: number;
      retryAfter?: string;
      reply?: string;
      cause?: unknown;
    },
  ) {
    super('token_endpoint_error', '', message);
    // AuthError pins its own prototype, which would hide this subclass from instanceof.
    Object.setPrototypeOf(this, TokenEndpointError.prototype);
    this.name = 'TokenEndpointError';
    this.origin = details.origin;
    this.status = details.status;
    this.retryAfter = details.retryAfter;
    this.reply = details.reply;
    this.cause = details.cause;
  }
}

/**
 * MSAL's network module, on native fetch with a deadline: MSAL's own client sets none on token
 * requests, so a token endpoint that accepts the connection and never answers would hang every
 * send. It also turns 429 and 5xx answers into a `TokenEndpointError` that keeps Retry-After,
 * which MSAL would drop while replaying the failure for a minute to any identical request.
 */
export class MsalFetchClient implements INetworkModule {
  constructor(private readonly timeoutMs: number) {}

  sendGetRequestAsync<T>(
    url: string,
    options?: NetworkRequestOptions,
    timeoutMs?: number,
  ): Promise<NetworkResponse<T>> {
    return this.request<T>('GET', url, options, timeoutMs);
  }

  sendPostRequestAsync<T>(
    url: string,
    options?: NetworkRequestOptions,
  ): Promise<NetworkResponse<T>> {
    return this.request<T>('POST', url, options);
  }

  private async request<T>(
    method: 'GET' | 'POST',
    url: string,
    options: NetworkRequestOptions | undefined,
    timeoutMs = this.timeoutMs,
  ): Promise<NetworkResponse<T>> {
    const origin = new URL(url).origin;
    let response: Response;
    let text: string;
    try {
      response = await fetch(url, {
        method,
        headers: options?.headers,
        body: method === 'POST' ? options?.body ?? '' : undefined,
        signal: AbortSignal.timeout(timeoutMs),
      });
      text = await response.text();
    } catch (error) {
      throw new TokenEndpointError(`${origin} could not be reached`, {
        origin,
        cause: error,
      });
    }
    const { status } = response;
    if (status === 429 || status >= 500) {
      throw new TokenEndpointError(`${origin} answered HTTP ${status}`, {
        origin,
        status,
        retryAfter: response.headers.get('retry-after') ?? undefined,
        reply: text,
      });
    }
    let body: T;
    try {
      body = JSON.parse(text);
    } catch {
      throw new TokenEndpointError(
        `${origin} answered HTTP ${status} without a JSON body`,
        { origin, status, reply: text },
      );
    }
    return { status, headers: Object.fromEntries(response.headers), body };
  }
}
