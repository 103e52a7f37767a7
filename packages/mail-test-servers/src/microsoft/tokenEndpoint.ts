import { randomBytes, randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { checkClientAssertion } from './clientAssertion';
import { EntraRefusal, sendEntraError } from './entraRefusals';
import { isFormEncoded, readBody, sendJson } from './http';
import type { MicrosoftFakeSettings } from './settings';
import type { FakeHandler, FakeState } from './state';

const TOKEN_LIFETIME_SECONDS = 3599;

/**
 * `POST /{tenant}/oauth2/v2.0/token`: Entra's client credentials grant, with a client secret
 * or a certificate's client assertion, answering a Graph token or Entra's AADSTS error body.
 */
export const handleToken: FakeHandler = async (
  fake,
  request,
  response,
  match,
) => {
  fake.counters.tokenRequests += 1;
  const tenant = decodeURIComponent(match[1]);
  const body = await readBody(request);
  const form = new URLSearchParams(body.toString('utf8'));
  const refusal =
    outage(fake.tokenOutage.take()) ??
    checkTokenRequest(fake, request, tenant, form);
  if (refusal) {
    sendEntraError(response, refusal);
    return;
  }
  const accessToken = issueToken(
    fake.settings,
    fake.baseUrl,
    TOKEN_LIFETIME_SECONDS,
  );
  fake.issuedTokens.set(accessToken, {
    expiresAt: Date.now() + TOKEN_LIFETIME_SECONDS * 1000,
    roles: [...fake.settings.roles],
  });
  sendJson(response, 200, {
    token_type: 'Bearer',
    expires_in: TOKEN_LIFETIME_SECONDS,
    ext_expires_in: TOKEN_LIFETIME_SECONDS,
    access_token: accessToken,
  });
};

function outage(
  retryAfter: Record<string, string> | undefined,
): EntraRefusal | undefined {
  return retryAfter
    ? {
        status: 503,
        error: 'temporarily_unavailable',
        aadsts: 90033,
        description: 'A transient error has occurred. Please try again.',
        headers: retryAfter,
      }
    : undefined;
}

/**
 * Checks a token request as Entra does for the client credentials grant, with a secret or a
 * client assertion signed by a certificate's key.
 */
function checkTokenRequest(
  fake: FakeState,
  request: IncomingMessage,
  tenant: string,
  form: URLSearchParams,
): EntraRefusal | undefined {
  const { settings, baseUrl } = fake;
  const grantType = form.get('grant_type');
  const clientId = form.get('client_id');
  const scope = form.get('scope') ?? '';
  if (!isFormEncoded(request) || !grantType) {
    return {
      status: 400,
      error: 'invalid_request',
      aadsts: 900144,
      description:
        "The request body must contain the following parameter: 'grant_type'.",
    };
  }
  if (tenant.toLowerCase() !== settings.tenantId.toLowerCase()) {
    return {
      status: 400,
      error: 'invalid_tenant',
      aadsts: 90002,
      description: `Tenant '${tenant}' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud. Check with your subscription administrator, this may happen if there are no active subscriptions for the tenant.`,
    };
  }
  if (grantType !== 'client_credentials') {
    return {
      status: 400,
      error: 'unsupported_grant_type',
      aadsts: 70003,
      description: `The app requested an unsupported grant type '${grantType}'.`,
    };
  }
  if (clientId !== settings.clientId) {
    return {
      status: 400,
      error: 'unauthorized_client',
      aadsts: 700016,
      description: `Application with identifier '${clientId}' was not found in the directory '${tenant}'. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You may have sent your authentication request to the wrong tenant.`,
    };
  }
  const credentialRefusal =
    form.has('client_assertion') || form.has('client_assertion_type')
      ? checkClientAssertion(form, tenant, settings, baseUrl, assertion =>
          fake.clientAssertions.push(assertion),
        )
      : checkClientSecret(form, settings);
  if (credentialRefusal) {
    return credentialRefusal;
  }
  if (!scope.endsWith('/.default') || scope.includes(' ')) {
    return {
      status: 400,
      error: 'invalid_scope',
      aadsts: 1002012,
      description: `The provided value for scope ${scope} is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier (application ID URI).`,
    };
  }
  const resource = scope.slice(0, -'/.default'.length);
  if (resource !== baseUrl) {
    return {
      status: 400,
      error: 'invalid_resource',
      aadsts: 500011,
      description: `The resource principal named ${resource} was not found in the tenant named ${tenant}. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You might have sent your authentication request to the wrong tenant.`,
    };
  }
  return undefined;
}

function checkClientSecret(
  form: URLSearchParams,
  settings: MicrosoftFakeSettings,
): EntraRefusal | undefined {
  const clientId = form.get('client_id');
  if (!form.has('client_secret')) {
    return {
      status: 400,
      error: 'invalid_client',
      aadsts: 7000216,
      description:
        "'client_assertion', 'client_secret' or 'request' is required for the 'client_credentials' grant type.",
    };
  }
  if (form.get('client_secret') !== settings.clientSecret) {
    return {
      status: 401,
      error: 'invalid_client',
      aadsts: 7000215,
      description: `Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '${clientId}'.`,
    };
  }
  if (settings.secretExpired) {
    return {
      status: 401,
      error: 'invalid_client',
      aadsts: 7000222,
      description: `The provided client secret keys for app '${clientId}' are expired. Visit the Azure portal to create new keys for your app: https://aka.ms/NewClientSecret, or consider using certificate credentials for added security: https://aka.ms/certCreds.`,
    };
  }
  return undefined;
}

/** A JWT-shaped token with the claims of a real app-only Graph token; the signature is noise. */
function issueToken(
  settings: MicrosoftFakeSettings,
  audience: string,
  lifetimeSeconds: number,
): string {
  const now = Math.floor(Date.now() / 1000);
  const encode = (value: object) =>
    Buffer.from(JSON.stringify(value)).toString('base64url');
  return [
    encode({ typ: 'JWT', alg: 'RS256', kid: 'fake-signing-key' }),
    encode({
      aud: audience,
      iss: `https://sts.windows.net/${settings.tenantId}/`,
      iat: now,
      nbf: now,
      exp: now + lifetimeSeconds,
      appid: settings.clientId,
      idtyp: 'app',
      oid: randomUUID(),
      roles: settings.roles,
      sub: randomUUID(),
      tid: settings.tenantId,
      ver: '1.0',
      uti: randomBytes(16).toString('base64url'),
    }),
    randomBytes(64).toString('base64url'),
  ].join('.');
}
