import { X509Certificate } from 'node:crypto';
import {
  hasValidSignature,
  namedThumbprint,
  parseJwt,
  thumbprint,
  trustedBySubject,
} from './assertionCertificate';
import type { EntraRefusal } from './entraRefusals';
import type { MicrosoftFakeSettings } from './settings';
import type { ReceivedClientAssertion } from './state';

const JWT_BEARER = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';
const CERTIFICATE_CREDENTIALS_DOCS =
  'https://learn.microsoft.com/entra/identity-platform/certificate-credentials';
/** How far Entra lets a client's clock be off for an assertion's nbf and exp. */
const CLOCK_SKEW_SECONDS = 300;

/**
 * Checks a client assertion as Entra does: a JWT signed (RS256 or PS256) with the key of a
 * certificate the app trusts, named by its thumbprint in the header, for this token endpoint,
 * issued by the app itself, and valid now.
 */
export function checkClientAssertion(
  form: URLSearchParams,
  tenant: string,
  settings: MicrosoftFakeSettings,
  baseUrl: string,
  onAssertion: (assertion: ReceivedClientAssertion) => void,
): EntraRefusal | undefined {
  const clientId = form.get('client_id') ?? '';
  const invalidClient = (aadsts: number, description: string) => ({
    status: 401,
    error: 'invalid_client',
    aadsts,
    description,
  });
  if (form.get('client_assertion_type') !== JWT_BEARER) {
    return {
      status: 400,
      error: 'invalid_request',
      aadsts: 7000216,
      description:
        "'client_assertion', 'client_secret' or 'request' is required for the 'client_credentials' grant type.",
    };
  }
  const assertion = parseJwt(form.get('client_assertion') ?? '');
  if (!assertion) {
    return invalidClient(50027, 'JWT token is invalid or malformed.');
  }
  onAssertion({ header: assertion.header, payload: assertion.payload });
  const { header, payload } = assertion;
  if (header.alg !== 'RS256' && header.alg !== 'PS256') {
    return {
      status: 400,
      error: 'invalid_request',
      aadsts: 5002738,
      description: `Invalid JWT token. '${String(
        header.alg,
      )}' is not a supported signature algorithm. Supported signing algorithms are: 'RS256, PS256'`,
    };
  }
  const named = namedThumbprint(header);
  if (!named) {
    return invalidClient(
      50027,
      'Invalid JWT token. No certificate thumbprint specified in token header.',
    );
  }
  const certificate =
    settings.certificates
      .map(pem => new X509Certificate(pem))
      .find(
        candidate => thumbprint(candidate, named.algorithm) === named.hex,
      ) ?? trustedBySubject(header, named, settings);
  const usedBy = `Thumbprint of key used by client: '${named.hex.toUpperCase()}'`;
  const seeKeys = `Please visit the Azure Portal, Graph Explorer or directly use MS Graph to see configured keys for app Id '${clientId}'. Review the documentation at https://docs.microsoft.com/en-us/graph/deployments to determine the corresponding service endpoint and https://docs.microsoft.com/en-us/graph/api/application-get?view=graph-rest-1.0&tabs=http to build a query request URL, such as 'https://graph.microsoft.com/beta/applications/${clientId}'`;
  if (!certificate) {
    return invalidClient(
      700027,
      `The certificate with identifier used to sign the client assertion is not registered on application. [Reason - The key was not found., ${usedBy}, ${seeKeys}]. Alternatively, SNI may be configured on the app. Please ensure that client assertion is being sent with the x5c claim in the JWT header using MSAL's WithSendX5C() method so that Azure Active Directory can validate the certificate being used.`,
    );
  }
  const foundKey = `Found key 'Start=${entraDate(
    certificate.validFrom,
  )}, End=${entraDate(certificate.validTo)}'`;
  if (Date.parse(certificate.validTo) <= Date.now()) {
    return invalidClient(
      700027,
      `Client assertion contains an invalid signature. [Reason - The key used is expired., ${usedBy}, ${foundKey}, ${seeKeys}]`,
    );
  }
  if (!hasValidSignature(assertion, certificate)) {
    return invalidClient(
      700027,
      `Client assertion contains an invalid signature. [Reason - The provided signature value did not match the expected signature value., ${usedBy}, ${foundKey}, ${seeKeys}]`,
    );
  }
  if (payload.iss !== clientId || payload.sub !== clientId) {
    return invalidClient(
      700021,
      `Client assertion application identifier doesn't match 'client_id' parameter. Review the documentation at ${CERTIFICATE_CREDENTIALS_DOCS} .`,
    );
  }
  const tokenEndpoint = `${baseUrl}/${tenant}/oauth2/v2.0/token`;
  if (
    typeof payload.aud !== 'string' ||
    payload.aud.toLowerCase() !== tokenEndpoint.toLowerCase()
  ) {
    return invalidClient(
      700023,
      `Client assertion audience claim does not match Realm issuer. Review the documentation at ${CERTIFICATE_CREDENTIALS_DOCS} .`,
    );
  }
  const now = Date.now() / 1000;
  const nbf = typeof payload.nbf === 'number' ? payload.nbf : 0;
  const exp = typeof payload.exp === 'number' ? payload.exp : undefined;
  if (
    exp === undefined ||
    nbf - CLOCK_SKEW_SECONDS > now ||
    exp + CLOCK_SKEW_SECONDS <= now
  ) {
    const iso = (seconds: number) => new Date(seconds * 1000).toISOString();
    return invalidClient(
      700024,
      `Client assertion is not within its valid time range. Current time: ${iso(
        now,
      )}, assertion valid from ${iso(nbf)}, expiry time of assertion ${
        exp === undefined ? 'none' : iso(exp)
      }. Review the documentation at ${CERTIFICATE_CREDENTIALS_DOCS} .`,
    );
  }
  return undefined;
}

/** A date as Entra writes a key's start and end in its errors: `MM/dd/yyyy HH:mm:ss`, UTC. */
function entraDate(text: string): string {
  const date = new Date(text);
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${pad(date.getUTCMonth() + 1)}/${pad(
    date.getUTCDate(),
  )}/${date.getUTCFullYear()} ${pad(date.getUTCHours())}:${pad(
    date.getUTCMinutes(),
  )}:${pad(date.getUTCSeconds())}`;
}
