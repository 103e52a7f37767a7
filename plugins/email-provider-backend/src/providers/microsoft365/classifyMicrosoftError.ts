import { ClientConfigurationError, ServerError } from '@azure/msal-node';
import { isError } from '@backstage/errors';
import { STATUS_CODES } from 'node:http';
import type {
  EmailFailure,
  EmailFailureCode,
  EmailFailureParams,
  MicrosoftServiceName,
} from '@email-provider/backstage-plugin-email-provider-common';
import { examinedText, ProviderError, redact } from '../ProviderError';
import { TokenEndpointError } from './MsalFetchClient';

/** A classified failure before `transient` and the provider's reply are known. */
type Refusal = Pick<EmailFailure, 'code' | 'message' | 'params'>;

/** Token endpoint refusals an admin can fix, by AADSTS number. */
const tokenRefusals: Record<string, Refusal> = {
  '7000215': {
    code: 'secret-invalid',
    message:
      "Microsoft Entra rejected the client secret (AADSTS7000215): paste the secret's Value, not its Secret ID",
    params: {
      aadsts: '7000215',
    } satisfies EmailFailureParams['secret-invalid'],
  },
  '7000222': {
    code: 'secret-expired',
    message:
      'The client secret has expired (AADSTS7000222): create a new one under Certificates & secrets and save it here',
    params: {
      aadsts: '7000222',
    } satisfies EmailFailureParams['secret-expired'],
  },
  '700016': {
    code: 'app-not-found',
    message:
      'No application with this client ID in the tenant (AADSTS700016): check the Application (client) ID',
    params: { aadsts: '700016' } satisfies EmailFailureParams['app-not-found'],
  },
  '90002': {
    code: 'tenant-not-found',
    message:
      'No Microsoft Entra tenant with this ID (AADSTS90002): check the Directory (tenant) ID',
    params: {
      reason: 'unknown',
      aadsts: '90002',
    } satisfies EmailFailureParams['tenant-not-found'],
  },
  '900023': {
    code: 'tenant-not-found',
    message:
      'The tenant ID is neither a GUID nor a domain of a tenant (AADSTS900023): check the Directory (tenant) ID',
    params: {
      reason: 'malformed',
      aadsts: '900023',
    } satisfies EmailFailureParams['tenant-not-found'],
  },
  '700024': {
    code: 'provider-error',
    message:
      "Microsoft Entra found the client assertion outside its valid time (AADSTS700024): set this server's clock right (NTP)",
    params: {
      reason: 'clock-skew',
      aadsts: '700024',
    } satisfies EmailFailureParams['provider-error'],
  },
  '500011': {
    code: 'provider-error',
    message:
      'Microsoft Graph is not known in this tenant (AADSTS500011): the authority host and the Graph base URL must belong to the same Microsoft cloud',
    params: {
      reason: 'wrong-cloud',
      aadsts: '500011',
    } satisfies EmailFailureParams['provider-error'],
  },
};

/**
 * A Microsoft service that a request went to: which one, for the params of a failure, and its
 * URL. Sentences name it as {@link describeService} does.
 */
export type MicrosoftService = { service: MicrosoftServiceName; url: string };

const serviceNames: Record<MicrosoftServiceName, string> = {
  entra: 'The Microsoft Entra token endpoint',
  graph: 'Microsoft Graph',
  'upload-session': 'The upload session',
};

/** The service as sentences start with it: `Microsoft Graph at https://graph.microsoft.com`. */
export function describeService({ service, url }: MicrosoftService): string {
  return `${serviceNames[service]} at ${url}`;
}

/** Graph error codes meaning the sender has no mailbox Graph can send from. */
const mailboxMissingCodes = new Set([
  'ErrorInvalidUser',
  'ResourceNotFound',
  'MailboxNotEnabledForRESTAPI',
]);

/** Node's codes for a server certificate it does not accept. */
const certificateCodes = new Set([
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'CERT_UNTRUSTED',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'ERR_TLS_CERT_ALTNAME_INVALID',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
]);

const timeoutCodes = new Set([
  'ETIMEDOUT',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
]);

/** An application permission of Microsoft Graph that sending needs. */
export type GraphPermission = 'Mail.Send' | 'Mail.ReadWrite';

const permissionReasons: Record<
  GraphPermission,
  Extract<
    EmailFailureParams['permission-missing'],
    { reason: `mail-${string}` }
  >
> = {
  'Mail.Send': { reason: 'mail-send' },
  'Mail.ReadWrite': { reason: 'mail-readwrite' },
};

const permissionMissingMessages: Record<GraphPermission, string> = {
  'Mail.Send':
    'The app lacks the Mail.Send application permission or admin consent: add Microsoft Graph › Application permissions › Mail.Send and grant admin consent',
  'Mail.ReadWrite':
    'The app lacks the Mail.ReadWrite application permission or admin consent, which large messages need for drafts and upload sessions: add Microsoft Graph › Application permissions › Mail.ReadWrite and grant admin consent, or turn off large messages',
};

/** The app's token does not carry the application role a request needs. */
export function permissionMissing(
  providerReply?: string,
  permission: GraphPermission = 'Mail.Send',
): ProviderError {
  return new ProviderError({
    code: 'permission-missing',
    message: permissionMissingMessages[permission],
    params: permissionReasons[permission],
    transient: false,
    ...(providerReply ? { providerReply } : {}),
  });
}

/**
 * Milliseconds to wait from a Retry-After header, which Microsoft sends in seconds but HTTP also
 * allows as a date.
 */
export function parseRetryAfter(
  value: string | null | undefined,
  now: number = Date.now(),
): number | undefined {
  const text = value?.trim();
  if (!text) {
    return undefined;
  }
  if (/^\d+$/.test(text)) {
    return Number(text) * 1000;
  }
  const date = Date.parse(text);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/** The certificate the app signed its client assertion with, to name in a refusal. */
export type AssertionCertificate = { subject: string; thumbprint: string };

/**
 * AADSTS700027, "the client assertion contains an invalid signature", covers three mistakes
 * that Entra tells apart only in the reason it gives.
 */
function certificateRefusal(
  entraMessage: string,
  certificate: AssertionCertificate | undefined,
): Refusal {
  const named = certificate
    ? `the certificate ${certificate.subject} (thumbprint ${certificate.thumbprint})`
    : 'the certificate';
  const params = {
    aadsts: '700027',
    ...(certificate
      ? { subject: certificate.subject, thumbprint: certificate.thumbprint }
      : {}),
  };
  if (/key used is expired/i.test(entraMessage)) {
    return {
      code: 'certificate-expired',
      message: `Microsoft Entra reports ${named} as expired (AADSTS700027): create a new certificate, upload its public part (.cer) to the app registration under Certificates & secrets, and paste the new certificate and private key here`,
      params: {
        reason: 'entra',
        ...params,
      } satisfies EmailFailureParams['certificate-expired'],
    };
  }
  if (
    /signature value did not match|use of the key to verify the signature failed/i.test(
      entraMessage,
    )
  ) {
    return {
      code: 'certificate-key-mismatch',
      message: `Microsoft Entra knows ${named}, but the client assertion was not signed with its private key (AADSTS700027): paste the private key that belongs to this certificate`,
      params: params satisfies EmailFailureParams['certificate-key-mismatch'],
    };
  }
  return {
    code: 'certificate-not-registered',
    message: `The app registration does not have ${named} (AADSTS700027): upload the certificate's public part (.cer) under Certificates & secrets of the app in Microsoft Entra, then check the thumbprint there matches`,
    params: params satisfies EmailFailureParams['certificate-not-registered'],
  };
}

/**
 * Classifies a failure to get a token from Microsoft Entra: MSAL's `ServerError` for an OAuth
 * error, a `TokenEndpointError` when the endpoint was unreachable, throttling or down, and
 * MSAL's configuration errors. `context.certificate` is named when Entra refuses it.
 */
export function classifyTokenError(
  error: unknown,
  secrets: string[],
  context: { certificate?: AssertionCertificate } = {},
): ProviderError {
  if (error instanceof TokenEndpointError) {
    return classifyTokenEndpointError(error, secrets);
  }
  if (error instanceof ServerError) {
    const providerReply = redact(error.message, secrets);
    const entraMessage = examinedText(error.errorMessage);
    const number =
      error.errorNo !== undefined
        ? String(error.errorNo)
        : /AADSTS(\d+)/.exec(entraMessage)?.[1];
    const known =
      number === '700027'
        ? certificateRefusal(entraMessage, context.certificate)
        : number && tokenRefusals[number];
    if (known) {
      return new ProviderError({ ...known, transient: false, providerReply });
    }
    // MSAL puts Entra's own description after "Description: "; it names the problem when the
    // AADSTS number is not one of the common mistakes above.
    const description =
      /(AADSTS\d+: [^\r\n]*?)(?: - Correlation ID|\r|\n|$)/.exec(
        entraMessage,
      )?.[1];
    return new ProviderError({
      code: 'provider-error',
      message: redact(
        `Microsoft Entra refused the token request (${error.errorCode})${
          description ? `: ${description}` : ''
        }`,
        secrets,
      ),
      transient: false,
      providerReply,
    });
  }
  if (error instanceof ClientConfigurationError) {
    return new ProviderError({
      code: 'provider-error',
      message: `MSAL refused the Microsoft 365 configuration (${error.errorCode}): check emailProvider.microsoft365.authorityHost, which must be an https URL`,
      params: {
        reason: 'authority-rejected',
        errorCode: error.errorCode,
      } satisfies EmailFailureParams['provider-error'],
      transient: false,
      providerReply: redact(error.message, secrets),
    });
  }
  return new ProviderError({
    code: 'provider-error',
    message: 'Getting a token from Microsoft Entra failed unexpectedly',
    params: {
      reason: 'token-unexpected',
    } satisfies EmailFailureParams['provider-error'],
    transient: false,
    providerReply: redact(describe(error), secrets),
  });
}

function classifyTokenEndpointError(
  error: TokenEndpointError,
  secrets: string[],
): ProviderError {
  const entra: MicrosoftService = { service: 'entra', url: error.origin };
  const service = describeService(entra);
  if (error.status === undefined) {
    return classifyNetworkError(error.cause, entra);
  }
  if (error.status >= 300 && error.status < 400) {
    return redirectRefused(
      {
        status: error.status,
        location: error.location ?? null,
        url: error.origin,
      },
      entra,
      'authorityHost',
    );
  }
  const providerReply = redact(
    `${error.status} ${error.reply ?? ''}`.trim(),
    secrets,
  );
  const retryAfterMs = parseRetryAfter(error.retryAfter);
  if (error.status === 429 || error.status >= 500) {
    return new ProviderError({
      code: error.status === 429 ? 'throttled' : 'provider-unavailable',
      message: `${service} ${
        error.status === 429 ? 'is throttling this app' : 'is unavailable'
      } (HTTP ${error.status}); ${tryAgain(retryAfterMs)}`,
      params: {
        reason: 'entra',
        url: error.origin,
        reply: `HTTP ${error.status}`,
        ...retryAfter(retryAfterMs),
      } satisfies EmailFailureParams['throttled' | 'provider-unavailable'],
      transient: true,
      providerReply,
      ...(retryAfterMs !== undefined ? { retryAfterMs } : {}),
    });
  }
  return new ProviderError({
    code: 'provider-error',
    message: `${service} answered HTTP ${error.status} without an OAuth error: check emailProvider.microsoft365.authorityHost`,
    params: {
      reason: 'not-oauth',
      url: error.origin,
      httpStatus: error.status,
    } satisfies EmailFailureParams['provider-error'],
    transient: false,
    providerReply,
  });
}

/**
 * A redirect from the token endpoint or Graph, which is never followed: fetch would send the
 * client secret, the access token or the message on to wherever it points. Only the origin of
 * its target is named, since the rest of a Location can carry anything.
 */
export function redirectRefused(
  reply: {
    status: number;
    /** The Location header, which may be relative to the URL requested. */
    location: string | null;
    url: string | URL;
  },
  where: MicrosoftService,
  setting: 'authorityHost' | 'graphBaseUrl',
): ProviderError {
  const origin =
    reply.location !== null && URL.canParse(reply.location, reply.url)
      ? new URL(reply.location, reply.url).origin
      : undefined;
  const target = origin && origin !== 'null' ? origin : undefined;
  const to = target ? ` to ${target}` : '';
  return new ProviderError({
    code: 'provider-error',
    message: `${describeService(where)} answered with a redirect (HTTP ${
      reply.status
    }${to}), which is not followed so that no credential goes to another server: set emailProvider.microsoft365.${setting} to the service itself`,
    params: {
      reason: 'redirect',
      ...where,
      httpStatus: reply.status,
      ...(target ? { target } : {}),
      setting,
    } satisfies EmailFailureParams['provider-error'],
    transient: false,
    providerReply: `${reply.status} ${
      STATUS_CODES[reply.status] ?? ''
    }${to}`.trim(),
  });
}

/** What Microsoft Graph answered to a request that it did not accept. */
export type GraphReply = {
  status: number;
  /** The Retry-After header, if any. */
  retryAfter: string | null;
  /** The body as received, usually `{"error":{"code","message"}}`. */
  body: string;
};

/**
 * Classifies Microsoft Graph's refusal of a request for the sender's mailbox. `permission` is the
 * application permission the request needs, named when Graph denies access; Mail.Send unless set.
 */
export function classifyGraphResponse(
  reply: GraphReply,
  context: { from: string; secrets: string[]; permission?: GraphPermission },
): ProviderError {
  const { status } = reply;
  const { code, message } = parseGraphError(reply.body);
  const providerReply = redact(
    `${status} ${reply.body}`.trim(),
    context.secrets,
  );
  const permanent = (
    failureCode: EmailFailureCode,
    text: string,
    params?: EmailFailure['params'],
  ) =>
    new ProviderError({
      code: failureCode,
      message: text,
      ...(params ? { params } : {}),
      transient: false,
      providerReply,
    });
  // Graph's codes are identifiers; anything else in that field is not quoted in a sentence.
  const label = /^\w{1,64}$/.test(code)
    ? `${status} ${code}`
    : `HTTP ${status}`;

  // Graph reports a missing mailbox as 404, 400 or 403 depending on the path it took.
  if (mailboxMissingCodes.has(code)) {
    return permanent(
      'mailbox-not-found',
      `The sender ${context.from} has no Exchange Online mailbox (licensed user or shared mailbox) in this tenant`,
      {
        sender: context.from,
      } satisfies EmailFailureParams['mailbox-not-found'],
    );
  }
  if (/Access to OData is disabled/i.test(message)) {
    return permanent(
      'permission-missing',
      `An Exchange Online application access policy keeps this app from the sender ${context.from} ("Access to OData is disabled"): add the mailbox to the group the policy allows, or choose a sender it allows`,
      {
        reason: 'access-policy',
        sender: context.from,
      } satisfies EmailFailureParams['permission-missing'],
    );
  }
  if (code === 'ErrorAccessDenied' || /Access is denied/i.test(message)) {
    return permissionMissing(providerReply, context.permission);
  }
  if (code === 'ErrorInvalidRecipients') {
    return permanent(
      'recipient-rejected',
      `Microsoft 365 rejected the recipients (${label}): check the addresses`,
      {
        reason: 'microsoft365',
        reply: label,
      } satisfies EmailFailureParams['recipient-rejected'],
    );
  }
  if (status === 413 || code === 'ErrorMessageSizeExceeded') {
    return permanent(
      'message-too-large',
      `The message is too large for Microsoft 365 (${label}): make the attachments smaller`,
      {
        reason: 'microsoft365',
        reply: label,
      } satisfies EmailFailureParams['message-too-large'],
    );
  }
  if (status === 429 || status >= 500) {
    const retryAfterMs = parseRetryAfter(reply.retryAfter);
    return new ProviderError({
      code: status === 429 ? 'throttled' : 'provider-unavailable',
      message: `Microsoft Graph ${
        status === 429 ? 'is throttling this app or mailbox' : 'is unavailable'
      } (${label}); ${tryAgain(retryAfterMs)}`,
      params: {
        reason: 'graph',
        reply: label,
        ...retryAfter(retryAfterMs),
      } satisfies EmailFailureParams['throttled' | 'provider-unavailable'],
      transient: true,
      providerReply,
      ...(retryAfterMs !== undefined ? { retryAfterMs } : {}),
    });
  }
  if (status === 401) {
    return permanent(
      'provider-error',
      `Microsoft Graph refused a freshly issued token (${label}): the authority host and the Graph base URL must belong to the same Microsoft cloud`,
      {
        reason: 'graph-token-refused',
        reply: label,
      } satisfies EmailFailureParams['provider-error'],
    );
  }
  return permanent(
    'provider-error',
    redact(
      `Microsoft Graph refused the message (${label})${
        message ? `: ${message}` : ''
      }`,
      context.secrets,
    ),
  );
}

/**
 * Classifies a request that got no HTTP answer: `fetch` rejects with a `TimeoutError` when its
 * deadline passes, and with a `TypeError` whose `cause` carries Node's error code otherwise.
 * Those errors come from Node's own realm, so they are recognised by shape, not `instanceof`.
 */
export function classifyNetworkError(
  error: unknown,
  where: MicrosoftService,
): ProviderError {
  const service = describeService(where);
  const providerReply = redact(describe(error), []);
  const code = errorCode(error);
  if (
    (isError(error) && error.name === 'TimeoutError') ||
    (code && timeoutCodes.has(code))
  ) {
    return new ProviderError({
      code: 'timeout',
      message: `${service} did not answer in time; try again later`,
      params: {
        reason: 'service',
        ...where,
      } satisfies EmailFailureParams['timeout'],
      transient: true,
      providerReply,
    });
  }
  if (code && certificateCodes.has(code)) {
    return new ProviderError({
      code: 'certificate-invalid',
      message: `${service} presented a certificate this server does not trust (${code}): if a proxy inspects TLS, trust its CA through NODE_EXTRA_CA_CERTS`,
      params: {
        reason: 'untrusted-service',
        ...where,
        certificateError: code,
      } satisfies EmailFailureParams['certificate-invalid'],
      transient: false,
      providerReply,
    });
  }
  return new ProviderError({
    code: 'provider-unavailable',
    message: `${service} could not be reached (${
      code ?? 'network error'
    }); try again later`,
    params: {
      reason: 'unreachable',
      ...where,
      ...(code ? { networkError: code } : {}),
    } satisfies EmailFailureParams['provider-unavailable'],
    transient: true,
    providerReply,
  });
}

function parseGraphError(body: string): { code: string; message: string } {
  try {
    const { error } = JSON.parse(body);
    return {
      code: typeof error?.code === 'string' ? examinedText(error.code) : '',
      message:
        typeof error?.message === 'string' ? examinedText(error.message) : '',
    };
  } catch {
    return { code: '', message: '' };
  }
}

/** The wait a sentence names, in the whole seconds it names. */
function retryAfter(retryAfterMs: number | undefined): {
  retryAfterSeconds?: number;
} {
  return retryAfterMs === undefined
    ? {}
    : { retryAfterSeconds: Math.ceil(retryAfterMs / 1000) };
}

function tryAgain(retryAfterMs: number | undefined): string {
  return retryAfterMs === undefined
    ? 'try again later'
    : `try again in ${Math.ceil(retryAfterMs / 1000)} s`;
}

/** The error and up to four of its causes. */
function causeChain(error: unknown) {
  const chain = [];
  for (let e = error; isError(e) && chain.length < 5; e = e.cause) {
    chain.push(e);
  }
  return chain;
}

/** The first Node error code along the error's causes, such as `ECONNREFUSED`. */
function errorCode(error: unknown): string | undefined {
  return causeChain(error)
    .map(e => (e as NodeJS.ErrnoException).code)
    .find(code => typeof code === 'string');
}

/** The error and its causes on one line, for the log. */
function describe(error: unknown): string {
  const chain = causeChain(error);
  return chain.length
    ? chain.map(e => `${e.name}: ${e.message}`).join('; caused by ')
    : String(error);
}
