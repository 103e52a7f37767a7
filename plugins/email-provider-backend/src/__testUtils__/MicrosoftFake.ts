import { randomBytes, randomUUID } from 'node:crypto';
import https from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import type { TestPki } from './certificates';

/** How the fake Microsoft Entra and Graph behave; every field can change between tests. */
export type MicrosoftFakeSettings = {
  /** The app registration the token endpoint knows. */
  tenantId: string;
  clientId: string;
  clientSecret: string;
  /** The secret is right but past its end date (AADSTS7000222). */
  secretExpired: boolean;
  /** Application roles granted with admin consent, put in every token. */
  roles: string[];
  /** Users and shared mailboxes of the tenant with an Exchange Online mailbox. */
  mailboxes: string[];
  /** Users of the tenant without an Exchange Online mailbox (unlicensed, or on-premises). */
  mailboxesNotEnabled: string[];
  /** Mailboxes an Exchange application access policy keeps from this app. */
  mailboxesExcludedByPolicy: string[];
  /** How long each sendMail request takes, to measure concurrency or trip a timeout. */
  sendMailDelayMs: number;
};

/** A `sendMail` request the fake accepted. */
export type ReceivedGraphMail = {
  /** The user the request was made for: `/users/{mailbox}/sendMail`. */
  mailbox: string;
  message: GraphMessage;
  saveToSentItems: unknown;
};

/** The parts of a Graph message the fake checks; the rest is kept as sent. */
export type GraphMessage = {
  subject?: string;
  body: { contentType: string; content: string };
  toRecipients: GraphRecipient[];
  ccRecipients?: GraphRecipient[];
  bccRecipients?: GraphRecipient[];
  replyTo?: GraphRecipient[];
  from?: GraphRecipient;
  internetMessageId?: string;
  attachments?: Array<{
    '@odata.type': string;
    name: string;
    contentType?: string;
    contentBytes: string;
    isInline?: boolean;
    contentId?: string;
  }>;
  [property: string]: unknown;
};

export type GraphRecipient = {
  emailAddress: { address: string; name?: string };
};

export type MicrosoftFakeCounters = {
  tokenRequests: number;
  sendMailRequests: number;
  sendMailInFlight: number;
  maxSendMailInFlight: number;
};

/** The fake, started: its URLs, what it received, and controls for the next requests. */
export type MicrosoftFake = {
  /** For `emailProvider.microsoft365.authorityHost`: `https://localhost:<port>`. */
  authorityHost: string;
  /** For `emailProvider.microsoft365.graphBaseUrl`: the same server. */
  graphBaseUrl: string;
  /** The current behaviour; change it with `configure`. */
  readonly settings: Readonly<MicrosoftFakeSettings>;
  configure(changes: Partial<MicrosoftFakeSettings>): void;
  /** Accepted mail, oldest first. */
  readonly received: ReceivedGraphMail[];
  /** Live counts since the start or the last `reset`. */
  readonly counters: Readonly<MicrosoftFakeCounters>;
  /** The next `count` sendMail requests answer 429 with `Retry-After: retryAfterSeconds`. */
  throttleSendMail(count: number, retryAfterSeconds: number): void;
  /** The next `count` token requests answer 503 with `Retry-After: retryAfterSeconds`. */
  failTokenRequests(count: number, retryAfterSeconds: number): void;
  /** Every token issued so far is refused by Graph from now on, as after a revocation. */
  revokeTokens(): void;
  /** Back to the start options, with no mail, counts, throttling or valid tokens. */
  reset(): void;
  close(): Promise<void>;
};

type Handler = (
  request: IncomingMessage,
  response: ServerResponse,
  match: RegExpExecArray,
) => Promise<void>;

type IssuedToken = { expiresAt: number; roles: string[] };

/** Graph refuses a request body over 4 MB before looking at it. */
const GRAPH_MAX_REQUEST_BYTES = 4 * 1024 * 1024;

/**
 * Starts a local HTTPS stand-in for the Microsoft Entra token endpoint and Microsoft Graph,
 * served with the PKI's localhost certificate. It checks requests as the real services do and
 * answers with their real error bodies, so a provider that passes here speaks the real protocol.
 */
export async function startMicrosoftFake(
  pki: TestPki,
  options: Partial<MicrosoftFakeSettings> & {
    /** The port to listen on; a free one unless set. */
    port?: number;
    /** Called for every sendMail the fake accepts. */
    onMessage?: (mail: ReceivedGraphMail) => void;
  } = {},
): Promise<MicrosoftFake> {
  const { port = 0, onMessage, ...overrides } = options;
  const initial: MicrosoftFakeSettings = {
    tenantId: randomUUID(),
    clientId: randomUUID(),
    clientSecret: `${randomBytes(3).toString('hex')}8Q~${randomBytes(
      27,
    ).toString('base64url')}`,
    secretExpired: false,
    roles: ['Mail.Send'],
    mailboxes: ['reports@contoso.onmicrosoft.com'],
    mailboxesNotEnabled: [],
    mailboxesExcludedByPolicy: [],
    sendMailDelayMs: 0,
    ...overrides,
  };
  let settings = { ...initial };
  const counters: MicrosoftFakeCounters = {
    tokenRequests: 0,
    sendMailRequests: 0,
    sendMailInFlight: 0,
    maxSendMailInFlight: 0,
  };
  const received: ReceivedGraphMail[] = [];
  const issued = new Map<string, IssuedToken>();
  let sendMailThrottle = { remaining: 0, retryAfterSeconds: 0 };
  let tokenOutage = { remaining: 0, retryAfterSeconds: 0 };
  let baseUrl = '';

  const handleToken: Handler = async (request, response, match) => {
    counters.tokenRequests += 1;
    const tenant = decodeURIComponent(match[1]);
    const body = await readBody(request);
    const form = new URLSearchParams(body.toString('utf8'));
    const refusal =
      checkTokenOutage() ??
      checkTokenRequest(request, tenant, form, settings, baseUrl);
    if (refusal) {
      sendEntraError(response, refusal);
      return;
    }
    const lifetimeSeconds = 3599;
    const accessToken = issueToken(settings, baseUrl, lifetimeSeconds);
    issued.set(accessToken, {
      expiresAt: Date.now() + lifetimeSeconds * 1000,
      roles: [...settings.roles],
    });
    sendJson(response, 200, {
      token_type: 'Bearer',
      expires_in: lifetimeSeconds,
      ext_expires_in: lifetimeSeconds,
      access_token: accessToken,
    });
  };

  function checkTokenOutage(): EntraRefusal | undefined {
    if (tokenOutage.remaining <= 0) {
      return undefined;
    }
    tokenOutage.remaining -= 1;
    return {
      status: 503,
      error: 'temporarily_unavailable',
      aadsts: 90033,
      description: 'A transient error has occurred. Please try again.',
      headers: { 'Retry-After': String(tokenOutage.retryAfterSeconds) },
    };
  }

  const handleSendMail: Handler = async (request, response, match) => {
    counters.sendMailRequests += 1;
    counters.sendMailInFlight += 1;
    counters.maxSendMailInFlight = Math.max(
      counters.maxSendMailInFlight,
      counters.sendMailInFlight,
    );
    const clientGone = new AbortController();
    response.on('close', () => clientGone.abort());
    try {
      const body = await readBody(request);
      await sleep(settings.sendMailDelayMs, undefined, {
        signal: clientGone.signal,
      }).catch(() => undefined);
      if (clientGone.signal.aborted) {
        return;
      }
      const mailbox = decodeURIComponent(match[1]);
      const refusal =
        checkSize(body) ??
        checkAuthorization(request.headers.authorization) ??
        checkThrottle() ??
        checkMailbox(mailbox) ??
        checkMessage(request, body);
      if (refusal) {
        sendGraphError(response, refusal);
        return;
      }
      const parsed = JSON.parse(body.toString('utf8'));
      const mail = {
        mailbox,
        message: parsed.message,
        saveToSentItems: parsed.saveToSentItems,
      };
      received.push(mail);
      onMessage?.(mail);
      response.writeHead(202, graphHeaders()).end();
    } finally {
      counters.sendMailInFlight -= 1;
    }
  };

  function checkSize(body: Buffer): GraphRefusal | undefined {
    return body.length > GRAPH_MAX_REQUEST_BYTES
      ? {
          status: 413,
          code: 'RequestEntityTooLarge',
          message: 'The maximum request length supported is 4MB.',
        }
      : undefined;
  }

  function checkAuthorization(
    authorization: string | undefined,
  ): GraphRefusal | undefined {
    const token = /^Bearer (\S+)$/i.exec(authorization ?? '')?.[1];
    if (!token) {
      return invalidToken('Access token is empty.');
    }
    const known = issued.get(token);
    if (!known) {
      return invalidToken('Access token validation failure.');
    }
    if (known.expiresAt <= Date.now()) {
      return invalidToken('Lifetime validation failed, the token is expired.');
    }
    if (!known.roles.includes('Mail.Send')) {
      return {
        status: 403,
        code: 'ErrorAccessDenied',
        message: 'Access is denied. Check credentials and try again.',
      };
    }
    return undefined;
  }

  function checkThrottle(): GraphRefusal | undefined {
    if (sendMailThrottle.remaining <= 0) {
      return undefined;
    }
    sendMailThrottle.remaining -= 1;
    return {
      status: 429,
      code: 'ApplicationThrottled',
      message: 'Application is over its MailboxConcurrency limit.',
      headers: { 'Retry-After': String(sendMailThrottle.retryAfterSeconds) },
    };
  }

  function checkMailbox(mailbox: string): GraphRefusal | undefined {
    const has = (list: string[]) =>
      list.some(m => m.toLowerCase() === mailbox.toLowerCase());
    if (has(settings.mailboxesNotEnabled)) {
      return {
        status: 404,
        code: 'MailboxNotEnabledForRESTAPI',
        message:
          'The mailbox is either inactive, soft-deleted, or is hosted on-premise.',
      };
    }
    if (!has(settings.mailboxes)) {
      return {
        status: 404,
        code: 'ErrorInvalidUser',
        message: `The requested user '${mailbox}' is invalid.`,
      };
    }
    if (has(settings.mailboxesExcludedByPolicy)) {
      return {
        status: 403,
        code: 'ErrorAccessDenied',
        message: 'Access to OData is disabled.',
      };
    }
    return undefined;
  }

  const server = https.createServer(
    { cert: pki.localhost.cert, key: pki.localhost.key },
    (request, response) => {
      route(request, response).catch(error => {
        if (!response.headersSent) {
          response.writeHead(500).end(String(error));
        }
      });
    },
  );
  const routes: Array<{ method: string; path: RegExp; handle: Handler }> = [
    {
      method: 'POST',
      path: /^\/([^/]+)\/oauth2\/v2\.0\/token$/,
      handle: handleToken,
    },
    {
      method: 'POST',
      path: /^\/v1\.0\/users\/([^/]+)\/sendMail$/,
      handle: handleSendMail,
    },
  ];

  async function route(request: IncomingMessage, response: ServerResponse) {
    const path = new URL(request.url ?? '/', baseUrl).pathname;
    for (const candidate of routes) {
      const match = candidate.path.exec(path);
      if (match && request.method === candidate.method) {
        await candidate.handle(request, response, match);
        return;
      }
    }
    await readBody(request);
    sendGraphError(response, {
      status: 404,
      code: 'UnknownError',
      message: `No route for ${request.method} ${path}`,
    });
  }

  await new Promise<void>(resolve => server.listen(port, '127.0.0.1', resolve));
  baseUrl = `https://localhost:${(server.address() as AddressInfo).port}`;

  return {
    authorityHost: baseUrl,
    graphBaseUrl: baseUrl,
    get settings() {
      return settings;
    },
    configure(changes) {
      settings = { ...settings, ...changes };
    },
    received,
    counters,
    throttleSendMail(count, retryAfterSeconds) {
      sendMailThrottle = { remaining: count, retryAfterSeconds };
    },
    failTokenRequests(count, retryAfterSeconds) {
      tokenOutage = { remaining: count, retryAfterSeconds };
    },
    revokeTokens() {
      issued.clear();
    },
    reset() {
      settings = { ...initial };
      received.length = 0;
      // Requests still in flight stay counted, so the count cannot go negative.
      Object.assign(counters, {
        tokenRequests: 0,
        sendMailRequests: 0,
        maxSendMailInFlight: counters.sendMailInFlight,
      });
      issued.clear();
      sendMailThrottle = { remaining: 0, retryAfterSeconds: 0 };
      tokenOutage = { remaining: 0, retryAfterSeconds: 0 };
    },
    async close() {
      await new Promise<void>(resolve => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}

type GraphRefusal = {
  status: number;
  code: string;
  message: string;
  headers?: Record<string, string>;
};

function invalidToken(message: string): GraphRefusal {
  return { status: 401, code: 'InvalidAuthenticationToken', message };
}

type EntraRefusal = {
  status: number;
  error: string;
  aadsts: number;
  description: string;
  headers?: Record<string, string>;
};

/** Checks a token request as Entra does for the client credentials grant with a secret. */
function checkTokenRequest(
  request: IncomingMessage,
  tenant: string,
  form: URLSearchParams,
  settings: MicrosoftFakeSettings,
  graphBaseUrl: string,
): EntraRefusal | undefined {
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
  if (!scope.endsWith('/.default') || scope.includes(' ')) {
    return {
      status: 400,
      error: 'invalid_scope',
      aadsts: 1002012,
      description: `The provided value for scope ${scope} is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier (application ID URI).`,
    };
  }
  const resource = scope.slice(0, -'/.default'.length);
  if (resource !== graphBaseUrl) {
    return {
      status: 400,
      error: 'invalid_resource',
      aadsts: 500011,
      description: `The resource principal named ${resource} was not found in the tenant named ${tenant}. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You might have sent your authentication request to the wrong tenant.`,
    };
  }
  return undefined;
}

/** Checks the request body as Graph's sendMail does; a refusal, or nothing when it is fine. */
function checkMessage(
  request: IncomingMessage,
  body: Buffer,
): GraphRefusal | undefined {
  const badBody = (message: string): GraphRefusal => ({
    status: 400,
    code: 'RequestBodyRead',
    message,
  });
  if (!/^application\/json\b/i.test(request.headers['content-type'] ?? '')) {
    return {
      status: 415,
      code: 'UnsupportedMediaType',
      message: 'Content-Type must be application/json.',
    };
  }
  let parsed: { message?: Partial<GraphMessage> };
  try {
    parsed = JSON.parse(body.toString('utf8'));
  } catch {
    return badBody('Invalid JSON in the request body.');
  }
  const message = parsed?.message;
  if (typeof message !== 'object' || message === null) {
    return badBody("The parameter 'Message' is required.");
  }
  if (message.subject !== undefined && typeof message.subject !== 'string') {
    return badBody("Cannot convert a value to the expected type 'Edm.String'.");
  }
  if (
    !message.body ||
    !['text', 'html'].includes(
      String(message.body.contentType).toLowerCase(),
    ) ||
    typeof message.body.content !== 'string'
  ) {
    return badBody(
      "Cannot convert the literal to the expected type 'microsoft.graph.bodyType'.",
    );
  }
  const recipients = [
    ...(message.toRecipients ?? []),
    ...(message.ccRecipients ?? []),
    ...(message.bccRecipients ?? []),
  ];
  if (
    !message.toRecipients?.length ||
    recipients.some(r => !/^[^@\s]+@[^@\s]+$/.test(r?.emailAddress?.address))
  ) {
    return {
      status: 400,
      code: 'ErrorInvalidRecipients',
      message: message.toRecipients?.length
        ? "At least one recipient isn't valid."
        : "At least one recipient isn't valid., A message can't be sent because it contains no recipients.",
    };
  }
  for (const attachment of message.attachments ?? []) {
    if (attachment['@odata.type'] !== '#microsoft.graph.fileAttachment') {
      return badBody(
        `The property '@odata.type' of an attachment must name a fileAttachment, not '${attachment['@odata.type']}'.`,
      );
    }
    if (
      typeof attachment.name !== 'string' ||
      !isBase64(attachment.contentBytes)
    ) {
      return badBody(
        `Cannot convert the literal '${String(attachment.contentBytes).slice(
          0,
          20,
        )}' to the expected type 'Edm.Binary'.`,
      );
    }
  }
  return undefined;
}

function isBase64(value: unknown): boolean {
  return (
    typeof value === 'string' &&
    value.length % 4 === 0 &&
    /^[A-Za-z0-9+/]*={0,2}$/.test(value)
  );
}

function isFormEncoded(request: IncomingMessage): boolean {
  return /^application\/x-www-form-urlencoded\b/i.test(
    request.headers['content-type'] ?? '',
  );
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

async function readBody(request: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) {
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

function sendJson(
  response: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
) {
  response
    .writeHead(status, {
      'Content-Type': 'application/json; charset=utf-8',
      ...headers,
    })
    .end(JSON.stringify(body));
}

/** Entra's OAuth error body, with the trace details it always appends. */
function sendEntraError(response: ServerResponse, refusal: EntraRefusal) {
  const traceId = randomUUID();
  const correlationId = randomUUID();
  const timestamp = new Date()
    .toISOString()
    .replace('T', ' ')
    .replace(/\.\d+Z$/, 'Z');
  sendJson(
    response,
    refusal.status,
    {
      error: refusal.error,
      error_description: `AADSTS${refusal.aadsts}: ${refusal.description}\r\nTrace ID: ${traceId}\r\nCorrelation ID: ${correlationId}\r\nTimestamp: ${timestamp}`,
      error_codes: [refusal.aadsts],
      timestamp,
      trace_id: traceId,
      correlation_id: correlationId,
      error_uri: `https://login.microsoftonline.com/error?code=${refusal.aadsts}`,
    },
    refusal.headers,
  );
}

function graphHeaders(): Record<string, string> {
  const requestId = randomUUID();
  return { 'request-id': requestId, 'client-request-id': requestId };
}

/** Graph's error body: `{"error":{"code","message","innerError"}}`. */
function sendGraphError(response: ServerResponse, refusal: GraphRefusal) {
  const headers = graphHeaders();
  sendJson(
    response,
    refusal.status,
    {
      error: {
        code: refusal.code,
        message: refusal.message,
        innerError: {
          date: new Date().toISOString().replace(/\.\d+Z$/, ''),
          'request-id': headers['request-id'],
          'client-request-id': headers['client-request-id'],
        },
      },
    },
    { ...headers, ...refusal.headers },
  );
}
