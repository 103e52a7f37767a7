import {
  AuthError,
  INetworkModule,
  NetworkRequestOptions,
  NetworkResponse,
} from '@azure/msal-node';

/**
 * The token endpoint could not be reached, did not answer in time, or answered something MSAL
 * would misreport: throttling or an outage (MSAL keeps no Retry-After), a redirect, or a body
 * that is not OAuth JSON, such as a proxy's error page.
 */
export class TokenEndpointError extends AuthError {
  /** The scheme, host and port of the token endpoint; never its query or the request body. */
  readonly origin: string;
  readonly status?: number;
  readonly retryAfter?: string;
  readonly reply?: string;
  /** Where a redirect pointed, as written in its Location header. */
  readonly location?: string;

  constructor(
    message: string,
    details: {
      origin: string;
      status?: number;
      retryAfter?: string;
      reply?: string;
      location?: string;
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
    this.location = details.location;
    this.cause = details.cause;
  }
}

/**
 * MSAL's network module, on native fetch with a deadline: MSAL's own client sets none on token
 * requests, so a token endpoint that accepts the connection and never answers would hang every
 * send. It also turns 429 and 5xx answers into a `TokenEndpointError` that keeps Retry-After,
 * which MSAL would drop while replaying the failure for a minute to any identical request.
 * Redirects are never followed: fetch would post the form, client secret or client assertion
 * included, to wherever the Location header points.
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
    const unreachable = (cause: unknown) =>
      new TokenEndpointError(`${origin} could not be reached`, {
        origin,
        cause,
      });
    const response = await fetch(url, {
      method,
      headers: options?.headers,
      body: method === 'POST' ? options?.body ?? '' : undefined,
      redirect: 'manual',
      signal: AbortSignal.timeout(timeoutMs),
    }).catch(error => {
      throw unreachable(error);
    });
    if (response.status >= 300 && response.status < 400) {
      await response.body?.cancel().catch(() => undefined);
      throw new TokenEndpointError(
        `${origin} answered HTTP ${response.status}, a redirect`,
        {
          origin,
          status: response.status,
          location: response.headers.get('location') ?? undefined,
        },
      );
    }
    const text = await response.text().catch(error => {
      throw unreachable(error);
    });
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
