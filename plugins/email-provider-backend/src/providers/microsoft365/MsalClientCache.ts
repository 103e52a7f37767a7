import {
  AuthenticationResult,
  ConfidentialClientApplication,
} from '@azure/msal-node';
import { createHash } from 'node:crypto';
import { MsalFetchClient } from './MsalFetchClient';

/** A Microsoft Entra app registration and its client secret, at one authority host. */
export type MicrosoftAppCredentials = {
  /** Such as `https://login.microsoftonline.com`, or a national cloud's. */
  authorityHost: string;
  tenantId: string;
  clientId: string;
  clientSecret: string;
};

/**
 * App-only tokens for one app registration. Callers asking at the same time share one token
 * request, so a burst of sends on a cold cache still costs a single round trip to Entra.
 */
export class AppTokenSource {
  private readonly pending = new Map<string, Promise<AuthenticationResult>>();

  constructor(private readonly app: ConfidentialClientApplication) {}

  /**
   * A token for `scope` from MSAL's cache, or a new one. `fresh` skips the cache: after Graph
   * refused a cached token, or to check a secret that was just saved.
   */
  acquire(
    scope: string,
    options: { fresh: boolean },
  ): Promise<AuthenticationResult> {
    const key = JSON.stringify([scope, options.fresh]);
    const pending = this.pending.get(key);
    if (pending) {
      return pending;
    }
    const request = this.app
      .acquireTokenByClientCredential({
        scopes: [scope],
        skipCache: options.fresh,
      })
      .then(result => {
        if (!result) {
          throw new Error(
            'MSAL answered a client credential request with no token',
          );
        }
        return result;
      })
      .finally(() => this.pending.delete(key));
    this.pending.set(key, request);
    return request;
  }
}

/**
 * One MSAL confidential client per app registration and secret, shared by every provider built
 * for the same settings. MSAL keeps its token cache inside the client instance, so sharing it is
 * what makes a token last its lifetime instead of one mail.
 */
export class MsalClientCache {
  private readonly sources = new Map<string, AppTokenSource>();
  private readonly tokenRequestTimeoutMs: number;
  private readonly maxClients: number;

  constructor(
    options: {
      /** How long one request to the token endpoint may take; 30 s unless set. */
      tokenRequestTimeoutMs?: number;
      /**
       * Each change of settings leaves the previous registration's client behind; beyond this
       * many the least recently used is dropped, so old secrets do not pile up in memory.
       */
      maxClients?: number;
    } = {},
  ) {
    this.tokenRequestTimeoutMs = options.tokenRequestTimeoutMs ?? 30_000;
    this.maxClients = options.maxClients ?? 8;
  }

  get(credentials: MicrosoftAppCredentials): AppTokenSource {
    const key = cacheKey(credentials);
    let source = this.sources.get(key);
    if (source) {
      this.sources.delete(key);
    } else {
      source = new AppTokenSource(
        createConfidentialClient(credentials, this.tokenRequestTimeoutMs),
      );
    }
    this.sources.set(key, source);
    for (const oldest of this.sources.keys()) {
      if (this.sources.size <= this.maxClients) {
        break;
      }
      this.sources.delete(oldest);
    }
    return source;
  }
}

/** A digest, so the map never holds the secret as a key. */
function cacheKey(credentials: MicrosoftAppCredentials): string {
  const { authorityHost, tenantId, clientId, clientSecret } = credentials;
  return createHash('sha256')
    .update(JSON.stringify([authorityHost, tenantId, clientId, clientSecret]))
    .digest('hex');
}

function createConfidentialClient(
  credentials: MicrosoftAppCredentials,
  timeoutMs: number,
): ConfidentialClientApplication {
  const host = new URL(credentials.authorityHost);
  const authority = `${host.origin}/${credentials.tenantId}`;
  return new ConfidentialClientApplication({
    auth: {
      clientId: credentials.clientId,
      clientSecret: credentials.clientSecret,
      authority,
      // Known endpoints spare MSAL its instance and OpenID discovery requests, which national
      // clouds and local fakes do not all serve.
      knownAuthorities: [host.host],
      authorityMetadata: JSON.stringify({
        token_endpoint: `${authority}/oauth2/v2.0/token`,
        authorization_endpoint: `${authority}/oauth2/v2.0/authorize`,
        end_session_endpoint: `${authority}/oauth2/v2.0/logout`,
        issuer: `${authority}/v2.0`,
        jwks_uri: `${authority}/discovery/v2.0/keys`,
      }),
    },
    system: { networkClient: new MsalFetchClient(timeoutMs) },
  });
}
