import {
  AuthenticationResult,
  ConfidentialClientApplication,
  NodeAuthOptions,
} from '@azure/msal-node';
import { createHash, KeyObject } from 'node:crypto';
import { MsalFetchClient } from './MsalFetchClient';

/**
 * A certificate credential: MSAL signs each client assertion with the private key and names the
 * certificate by its SHA-256 thumbprint.
 */
export type MicrosoftAppCertificate = {
  /** Hex. */
  thumbprintSha256: string;
  privateKey: KeyObject;
  /** PEM, leaf first, sent as the assertion's `x5c`. */
  chain: string[];
};

/** How the app proves itself to Microsoft Entra: a client secret or a certificate. */
export type MicrosoftAppCredential =
  | { clientSecret: string }
  | { certificate: MicrosoftAppCertificate };

/** A Microsoft Entra app registration and its credential, at one authority host. */
export type MicrosoftAppCredentials = {
  /** Such as `https://login.microsoftonline.com`, or a national cloud's. */
  authorityHost: string;
  tenantId: string;
  clientId: string;
  credential: MicrosoftAppCredential;
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
 * One MSAL confidential client per app registration and credential, shared by every provider built
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
       * many the least recently used is dropped, so old credentials do not pile up in memory.
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

/**
 * A digest, so the map never holds the secret or the key as a key. A certificate counts with its
 * private key, not its thumbprint alone: a corrected key pasted for the same certificate must
 * not keep using the client built with the wrong one.
 */
function cacheKey(credentials: MicrosoftAppCredentials): string {
  const { authorityHost, tenantId, clientId, credential } = credentials;
  const hash = createHash('sha256').update(
    JSON.stringify([authorityHost, tenantId, clientId]),
  );
  if ('clientSecret' in credential) {
    hash.update(JSON.stringify(['secret', credential.clientSecret]));
  } else {
    const { thumbprintSha256, privateKey, chain } = credential.certificate;
    const der = privateKey.export({ type: 'pkcs8', format: 'der' });
    const keyHash = createHash('sha256').update(der).digest('hex');
    der.fill(0);
    hash.update(
      JSON.stringify(['certificate', thumbprintSha256, keyHash, chain]),
    );
  }
  return hash.digest('hex');
}

/** MSAL's auth options for the credential; the private key goes to MSAL as PEM, which it needs. */
function credentialOptions(
  credential: MicrosoftAppCredential,
): Pick<NodeAuthOptions, 'clientSecret' | 'clientCertificate'> {
  if ('clientSecret' in credential) {
    return { clientSecret: credential.clientSecret };
  }
  const { thumbprintSha256, privateKey, chain } = credential.certificate;
  return {
    clientCertificate: {
      thumbprintSha256,
      privateKey: privateKey
        .export({ type: 'pkcs8', format: 'pem' })
        .toString(),
      // Apps that trust certificates by subject name and issuer (SNI) find the certificate from
      // this chain; apps with the certificate uploaded ignore it.
      x5c: chain.map(singleLinePem).join('\n'),
    },
  };
}

/**
 * A certificate as MSAL's x5c parser reads it: the base64 on one line between the markers. A
 * pasted certificate may have trailing spaces or indentation, which make the parser skip it.
 */
function singleLinePem(certificate: string): string {
  const base64 = certificate
    .replace(/-----(?:BEGIN|END) CERTIFICATE-----/g, '')
    .replace(/\s+/g, '');
  return `-----BEGIN CERTIFICATE-----\n${base64}\n-----END CERTIFICATE-----`;
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
      ...credentialOptions(credentials.credential),
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
