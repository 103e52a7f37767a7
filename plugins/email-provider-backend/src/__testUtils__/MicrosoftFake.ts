import {
  constants as cryptoConstants,
  createHash,
  randomBytes,
  randomUUID,
  verify as verifySignature,
  X509Certificate,
} from 'node:crypto';
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
  /**
   * Certificates (PEM, public part only) uploaded to the app under Certificates & secrets. A
   * client assertion signed with the private key of one of them is accepted while it is valid.
   */
  certificates: string[];
  /**
   * Subject name and issuer trust ("SNI"): a certificate with this subject, issued by this CA
   * (PEM), is accepted without being uploaded, when the assertion carries it in `x5c`.
   */
  trustedCertificateSubjects: Array<{ subjectName: string; issuer: string }>;
  /**
   * Application roles granted with admin consent, put in every token: Mail.Send for sendMail
   * and a draft's send, Mail.ReadWrite for drafts, their attachments and upload sessions.
   */
  roles: string[];
  /** Users and shared mailboxes of the tenant with an Exchange Online mailbox. */
  mailboxes: string[];
  /** Users of the tenant without an Exchange Online mailbox (unlicensed, or on-premises). */
  mailboxesNotEnabled: string[];
  /** Mailboxes an Exchange application access policy keeps from this app. */
  mailboxesExcludedByPolicy: string[];
  /** How long each sendMail request takes, to measure concurrency or trip a timeout. */
  sendMailDelayMs: number;
  /** How long each upload chunk takes, to measure concurrency. */
  uploadDelayMs: number;
};

/** The decoded header and claims of a client assertion the token endpoint received. */
export type ReceivedClientAssertion = {
  header: Record<string, unknown>;
  payload: Record<string, unknown>;
};

/** A message the fake accepted for sending, through sendMail or a draft's `send`. */
export type ReceivedGraphMail = {
  /** The user the request was made for: `/users/{mailbox}/sendMail`. */
  mailbox: string;
  /** As sent; a sent draft's attachments include those uploaded in sessions, reassembled. */
  message: GraphMessage;
  saveToSentItems: unknown;
  sentAs: 'sendMail' | 'draft';
};

/** A draft made through `POST /users/{mailbox}/messages`, not yet sent or deleted. */
export type GraphDraft = {
  id: string;
  mailbox: string;
  message: GraphMessage;
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
  /**
   * Graph requests being answered now, of every kind (sendMail, drafts, attachments, upload
   * chunks, send): Microsoft's limit of 4 concurrent requests per mailbox counts them all.
   */
  graphRequestsInFlight: number;
  maxGraphRequestsInFlight: number;
  draftsCreated: number;
  uploadChunks: number;
  /** Upload chunks sent with an Authorization header, which the upload URL must not get. */
  uploadsWithAuthorization: number;
  /** Requests answered with a redirect, as `redirect` asked; counted under no other kind. */
  redirects: number;
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
  /** Client assertions of token requests, accepted or not, oldest first. */
  readonly clientAssertions: ReceivedClientAssertion[];
  /** Drafts neither sent nor deleted, by ID. */
  readonly drafts: ReadonlyMap<string, GraphDraft>;
  /** Live counts since the start or the last `reset`. */
  readonly counters: Readonly<MicrosoftFakeCounters>;
  /** The next `count` sendMail requests answer 429 with `Retry-After: retryAfterSeconds`. */
  throttleSendMail(count: number, retryAfterSeconds: number): void;
  /** The next `count` upload chunks answer 429 with `Retry-After: retryAfterSeconds`. */
  throttleUploads(count: number, retryAfterSeconds: number): void;
  /** The next `count` token requests answer 503 with `Retry-After: retryAfterSeconds`. */
  failTokenRequests(count: number, retryAfterSeconds: number): void;
  /**
   * The next `count` requests of a kind answer a redirect to `target` (another origin, such as
   * a `RecordingServer`), keeping their path and query, as a hijacked or misconfigured endpoint
   * would. `graph` is every Graph request but upload chunks, which are `upload`.
   */
  redirect(
    kind: RedirectedRequest,
    target: string,
    options?: { status?: 301 | 302 | 303 | 307 | 308; count?: number },
  ): void;
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

/** The requests `redirect` can turn away. */
export type RedirectedRequest = 'token' | 'graph' | 'upload';

/** An attachment being uploaded to a draft, range after range. */
type UploadSession = {
  id: string;
  /** The opaque token in the upload URL, which is all that authorizes its PUTs. */
  authtoken: string;
  draftId: string;
  item: {
    name: string;
    size: number;
    contentType?: string;
    isInline?: boolean;
    contentId?: string;
  };
  chunks: Buffer[];
  received: number;
};

/** Graph refuses a request body over 4 MB before looking at it. */
const GRAPH_MAX_REQUEST_BYTES = 4 * 1024 * 1024;
/** Below this, Graph wants an attachment in one POST and refuses an upload session. */
const UPLOAD_SESSION_MIN_BYTES = 3 * 1024 * 1024;
/** The largest message Exchange Online takes through Graph. */
const MAX_MESSAGE_BYTES = 150 * 1024 * 1024;
/** Graph's answer for a message ID the mailbox does not have. */
const ITEM_NOT_FOUND: GraphRefusal = {
  status: 404,
  code: 'ErrorItemNotFound',
  message: 'The specified object was not found in the store.',
};
/** The application roles each kind of request needs, any one of them. */
const SEND_ROLES = ['Mail.Send'];
const READ_WRITE_ROLES = ['Mail.ReadWrite'];
const READ_FOLDER_ROLES = ['Mail.ReadBasic.All', 'Mail.Read', 'Mail.ReadWrite'];

/**
 * Starts a local HTTPS stand-in for the Microsoft Entra token endpoint and Microsoft Graph,
 * served with the PKI's localhost certificate. It checks requests as the real services do and
 * answers with their real error bodies, so a provider that passes here speaks the real protocol:
 * sendMail, and for large messages drafts, attachments, upload sessions (served on its own host,
 * authorized by the URL alone) and a draft's send.
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
    certificates: [],
    trustedCertificateSubjects: [],
    roles: ['Mail.Send'],
    mailboxes: ['reports@contoso.onmicrosoft.com'],
    mailboxesNotEnabled: [],
    mailboxesExcludedByPolicy: [],
    sendMailDelayMs: 0,
    uploadDelayMs: 0,
    ...overrides,
  };
  let settings = { ...initial };
  const counters: MicrosoftFakeCounters = {
    tokenRequests: 0,
    sendMailRequests: 0,
    graphRequestsInFlight: 0,
    maxGraphRequestsInFlight: 0,
    draftsCreated: 0,
    uploadChunks: 0,
    uploadsWithAuthorization: 0,
    redirects: 0,
  };
  const received: ReceivedGraphMail[] = [];
  const clientAssertions: ReceivedClientAssertion[] = [];
  const drafts = new Map<string, GraphDraft>();
  const uploadSessions = new Map<string, UploadSession>();
  const issued = new Map<string, IssuedToken>();
  let sendMailThrottle = { remaining: 0, retryAfterSeconds: 0 };
  let uploadThrottle = { remaining: 0, retryAfterSeconds: 0 };
  let tokenOutage = { remaining: 0, retryAfterSeconds: 0 };
  const redirects = new Map<
    RedirectedRequest,
    { remaining: number; status: number; target: string }
  >();
  let baseUrl = '';

  const handleToken: Handler = async (request, response, match) => {
    counters.tokenRequests += 1;
    const tenant = decodeURIComponent(match[1]);
    const body = await readBody(request);
    const form = new URLSearchParams(body.toString('utf8'));
    const refusal =
      checkTokenOutage() ??
      checkTokenRequest(request, tenant, form, settings, baseUrl, assertion =>
        clientAssertions.push(assertion),
      );
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
    const clientGone = new AbortController();
    response.on('close', () => clientGone.abort());
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
      checkAuthorization(request.headers.authorization, SEND_ROLES) ??
      checkThrottle() ??
      checkMailbox(mailbox) ??
      checkMessage(request, body);
    if (refusal) {
      sendGraphError(response, refusal);
      return;
    }
    const parsed = JSON.parse(body.toString('utf8'));
    accept({
      mailbox,
      message: parsed.message,
      saveToSentItems: parsed.saveToSentItems,
      sentAs: 'sendMail',
    });
    response.writeHead(202, graphHeaders()).end();
  };

  function accept(mail: ReceivedGraphMail) {
    received.push(mail);
    onMessage?.(mail);
  }

  const handleCreateDraft: Handler = async (request, response, match) => {
    const body = await readBody(request);
    const mailbox = decodeURIComponent(match[1]);
    const parsed = parseJson(request, body);
    const refusal =
      checkSize(body) ??
      checkAuthorization(request.headers.authorization, READ_WRITE_ROLES) ??
      checkMailbox(mailbox) ??
      parsed.refusal ??
      checkMessageFields(parsed.value, { recipientsRequired: false });
    if (refusal) {
      sendGraphError(response, refusal);
      return;
    }
    counters.draftsCreated += 1;
    const draft: GraphDraft = {
      id: newItemId(),
      mailbox,
      message: {
        attachments: [],
        ...(parsed.value as GraphMessage),
      },
    };
    drafts.set(draft.id, draft);
    sendJson(
      response,
      201,
      { id: draft.id, isDraft: true, ...draft.message },
      graphHeaders(),
    );
  };

  /** The mailbox's draft named in the path, or the refusal Graph gives for it. */
  function findDraft(
    mailbox: string,
    id: string,
  ): { draft?: GraphDraft; refusal?: GraphRefusal } {
    const draft = drafts.get(id);
    if (draft && draft.mailbox.toLowerCase() === mailbox.toLowerCase()) {
      return { draft };
    }
    return { refusal: ITEM_NOT_FOUND };
  }

  const handleAddAttachment: Handler = async (request, response, match) => {
    const body = await readBody(request);
    const mailbox = decodeURIComponent(match[1]);
    const found = findDraft(mailbox, decodeURIComponent(match[2]));
    const parsed = parseJson(request, body);
    const refusal =
      checkAuthorization(request.headers.authorization, READ_WRITE_ROLES) ??
      checkMailbox(mailbox) ??
      found.refusal ??
      parsed.refusal ??
      checkFileAttachment(parsed.value);
    if (refusal) {
      sendGraphError(response, refusal);
      return;
    }
    const attachment = parsed.value as FileAttachment;
    const size = Buffer.byteLength(attachment.contentBytes, 'base64');
    if (size >= UPLOAD_SESSION_MIN_BYTES) {
      sendGraphError(response, {
        status: 413,
        code: 'RequestEntityTooLarge',
        message:
          'An attachment of 3 MB or more must be added through an upload session.',
      });
      return;
    }
    found.draft!.message.attachments!.push(attachment);
    sendJson(
      response,
      201,
      { id: newItemId(), size, ...attachment },
      graphHeaders(),
    );
  };

  const handleCreateUploadSession: Handler = async (
    request,
    response,
    match,
  ) => {
    const body = await readBody(request);
    const mailbox = decodeURIComponent(match[1]);
    const found = findDraft(mailbox, decodeURIComponent(match[2]));
    const parsed = parseJson(request, body);
    const item = (parsed.value as { AttachmentItem?: UploadSession['item'] })
      ?.AttachmentItem;
    const refusal =
      checkAuthorization(request.headers.authorization, READ_WRITE_ROLES) ??
      checkMailbox(mailbox) ??
      found.refusal ??
      parsed.refusal ??
      checkAttachmentItem(item);
    if (refusal) {
      sendGraphError(response, refusal);
      return;
    }
    const session: UploadSession = {
      id: randomBytes(16).toString('hex'),
      authtoken: randomBytes(32).toString('base64url'),
      draftId: found.draft!.id,
      item: item!,
      chunks: [],
      received: 0,
    };
    uploadSessions.set(session.id, session);
    sendJson(
      response,
      201,
      {
        '@odata.context': `${baseUrl}/v1.0/$metadata#microsoft.graph.uploadSession`,
        uploadUrl: `${baseUrl}/api/v2.0/AttachmentSessions/${session.id}?authtoken=${session.authtoken}`,
        expirationDateTime: new Date(Date.now() + 15 * 60_000).toISOString(),
        nextExpectedRanges: ['0-'],
      },
      graphHeaders(),
    );
  };

  const handleUploadChunk: Handler = async (request, response, match) => {
    counters.uploadChunks += 1;
    const body = await readBody(request);
    await sleep(settings.uploadDelayMs);
    if (request.headers.authorization !== undefined) {
      counters.uploadsWithAuthorization += 1;
      sendGraphError(response, {
        status: 400,
        code: 'InvalidRequest',
        message:
          'The upload URL is pre-authenticated: a request to it must not carry an Authorization header.',
      });
      return;
    }
    const session = uploadSessions.get(match[1]);
    const authtoken = new URL(request.url ?? '/', baseUrl).searchParams.get(
      'authtoken',
    );
    if (!session || authtoken !== session.authtoken) {
      sendGraphError(response, {
        status: 404,
        code: 'ErrorItemNotFound',
        message: 'The upload session was not found or has expired.',
      });
      return;
    }
    const refusal = checkUploadThrottle() ?? checkRange(request, body, session);
    if (refusal) {
      sendGraphError(response, refusal);
      return;
    }
    // Sessions go with their draft, whether it is sent or deleted.
    const draft = drafts.get(session.draftId)!;
    session.chunks.push(body);
    session.received += body.length;
    if (session.received < session.item.size) {
      sendJson(
        response,
        200,
        {
          expirationDateTime: new Date(Date.now() + 15 * 60_000).toISOString(),
          nextExpectedRanges: [`${session.received}-`],
        },
        graphHeaders(),
      );
      return;
    }
    uploadSessions.delete(session.id);
    const attachmentId = newItemId();
    draft.message.attachments!.push({
      '@odata.type': '#microsoft.graph.fileAttachment',
      name: session.item.name,
      contentType: session.item.contentType,
      contentBytes: Buffer.concat(session.chunks).toString('base64'),
      isInline: session.item.isInline,
      ...(session.item.contentId ? { contentId: session.item.contentId } : {}),
    });
    response
      .writeHead(201, {
        ...graphHeaders(),
        Location: `${baseUrl}/v1.0/users/${encodeURIComponent(
          draft.mailbox,
        )}/messages/${encodeURIComponent(
          draft.id,
        )}/attachments/${encodeURIComponent(attachmentId)}`,
      })
      .end();
  };

  function checkUploadThrottle(): GraphRefusal | undefined {
    if (uploadThrottle.remaining <= 0) {
      return undefined;
    }
    uploadThrottle.remaining -= 1;
    return {
      status: 429,
      code: 'ApplicationThrottled',
      message: 'Application is over its MailboxConcurrency limit.',
      headers: { 'Retry-After': String(uploadThrottle.retryAfterSeconds) },
    };
  }

  const handleSendDraft: Handler = async (request, response, match) => {
    await readBody(request);
    const mailbox = decodeURIComponent(match[1]);
    const found = findDraft(mailbox, decodeURIComponent(match[2]));
    const refusal =
      checkContentLength(request) ??
      checkAuthorization(request.headers.authorization, SEND_ROLES) ??
      checkMailbox(mailbox) ??
      found.refusal ??
      checkRecipients(found.draft!.message) ??
      checkMessageSize(found.draft!.message);
    if (refusal) {
      sendGraphError(response, refusal);
      return;
    }
    const { draft } = found;
    drafts.delete(draft!.id);
    dropUploadSessions(draft!.id);
    accept({
      mailbox,
      message: draft!.message,
      // A sent draft always lands in Sent Items.
      saveToSentItems: true,
      sentAs: 'draft',
    });
    response.writeHead(202, graphHeaders()).end();
  };

  const handleDeleteDraft: Handler = async (request, response, match) => {
    await readBody(request);
    const mailbox = decodeURIComponent(match[1]);
    const found = findDraft(mailbox, decodeURIComponent(match[2]));
    const refusal =
      checkAuthorization(request.headers.authorization, READ_WRITE_ROLES) ??
      checkMailbox(mailbox) ??
      found.refusal;
    if (refusal) {
      sendGraphError(response, refusal);
      return;
    }
    drafts.delete(found.draft!.id);
    dropUploadSessions(found.draft!.id);
    response.writeHead(204, graphHeaders()).end();
  };

  function dropUploadSessions(draftId: string) {
    for (const session of uploadSessions.values()) {
      if (session.draftId === draftId) {
        uploadSessions.delete(session.id);
      }
    }
  }

  const handleDraftsFolder: Handler = async (request, response, match) => {
    await readBody(request);
    const mailbox = decodeURIComponent(match[1]);
    const refusal =
      checkAuthorization(request.headers.authorization, READ_FOLDER_ROLES) ??
      checkMailbox(mailbox);
    if (refusal) {
      sendGraphError(response, refusal);
      return;
    }
    sendJson(
      response,
      200,
      {
        '@odata.context': `${baseUrl}/v1.0/$metadata#users('${encodeURIComponent(
          mailbox,
        )}')/mailFolders(id)/$entity`,
        id: 'AQMkADrafts',
      },
      graphHeaders(),
    );
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

  /** Checks the bearer token, and that it carries one of the roles the request needs. */
  function checkAuthorization(
    authorization: string | undefined,
    roles: string[],
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
    if (!roles.some(role => known.roles.includes(role))) {
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
  const routes: Array<{
    method: string;
    path: RegExp;
    handle: Handler;
    /** Counts toward the requests in flight, as Graph's concurrency limit does. */
    graph: boolean;
    kind?: RedirectedRequest;
  }> = [
    {
      method: 'POST',
      path: /^\/([^/]+)\/oauth2\/v2\.0\/token$/,
      handle: handleToken,
      graph: false,
      kind: 'token',
    },
    {
      method: 'POST',
      path: /^\/v1\.0\/users\/([^/]+)\/sendMail$/,
      handle: handleSendMail,
      graph: true,
    },
    {
      method: 'POST',
      path: /^\/v1\.0\/users\/([^/]+)\/messages$/,
      handle: handleCreateDraft,
      graph: true,
    },
    {
      method: 'POST',
      path: /^\/v1\.0\/users\/([^/]+)\/messages\/([^/]+)\/attachments$/,
      handle: handleAddAttachment,
      graph: true,
    },
    {
      method: 'POST',
      path: /^\/v1\.0\/users\/([^/]+)\/messages\/([^/]+)\/attachments\/createUploadSession$/,
      handle: handleCreateUploadSession,
      graph: true,
    },
    {
      method: 'POST',
      path: /^\/v1\.0\/users\/([^/]+)\/messages\/([^/]+)\/send$/,
      handle: handleSendDraft,
      graph: true,
    },
    {
      method: 'DELETE',
      path: /^\/v1\.0\/users\/([^/]+)\/messages\/([^/]+)$/,
      handle: handleDeleteDraft,
      graph: true,
    },
    {
      method: 'GET',
      path: /^\/v1\.0\/users\/([^/]+)\/mailFolders\/drafts$/,
      handle: handleDraftsFolder,
      graph: true,
    },
    {
      method: 'PUT',
      path: /^\/api\/v2\.0\/AttachmentSessions\/([0-9a-f]+)$/,
      handle: handleUploadChunk,
      graph: true,
      kind: 'upload',
    },
  ];

  async function route(request: IncomingMessage, response: ServerResponse) {
    const path = new URL(request.url ?? '/', baseUrl).pathname;
    for (const candidate of routes) {
      const match = candidate.path.exec(path);
      if (match && request.method === candidate.method) {
        const redirect = redirects.get(candidate.kind ?? 'graph');
        if (redirect && redirect.remaining > 0) {
          redirect.remaining -= 1;
          counters.redirects += 1;
          await readBody(request);
          response
            .writeHead(redirect.status, {
              Location: new URL(request.url ?? '/', redirect.target).href,
            })
            .end();
          return;
        }
        if (!candidate.graph) {
          await candidate.handle(request, response, match);
          return;
        }
        counters.graphRequestsInFlight += 1;
        counters.maxGraphRequestsInFlight = Math.max(
          counters.maxGraphRequestsInFlight,
          counters.graphRequestsInFlight,
        );
        try {
          await candidate.handle(request, response, match);
        } finally {
          counters.graphRequestsInFlight -= 1;
        }
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
    clientAssertions,
    drafts,
    counters,
    throttleSendMail(count, retryAfterSeconds) {
      sendMailThrottle = { remaining: count, retryAfterSeconds };
    },
    throttleUploads(count, retryAfterSeconds) {
      uploadThrottle = { remaining: count, retryAfterSeconds };
    },
    failTokenRequests(count, retryAfterSeconds) {
      tokenOutage = { remaining: count, retryAfterSeconds };
    },
    redirect(kind, target, { status = 307, count = 1 } = {}) {
      redirects.set(kind, { remaining: count, status, target });
    },
    revokeTokens() {
      issued.clear();
    },
    reset() {
      settings = { ...initial };
      received.length = 0;
      clientAssertions.length = 0;
      drafts.clear();
      uploadSessions.clear();
      // Requests still in flight stay counted, so the count cannot go negative.
      Object.assign(counters, {
        tokenRequests: 0,
        sendMailRequests: 0,
        maxGraphRequestsInFlight: counters.graphRequestsInFlight,
        draftsCreated: 0,
        uploadChunks: 0,
        uploadsWithAuthorization: 0,
        redirects: 0,
      });
      issued.clear();
      sendMailThrottle = { remaining: 0, retryAfterSeconds: 0 };
      uploadThrottle = { remaining: 0, retryAfterSeconds: 0 };
      tokenOutage = { remaining: 0, retryAfterSeconds: 0 };
      redirects.clear();
    },
    async close() {
      await new Promise<void>(resolve => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}

/** A request a `RecordingServer` received. */
export type RecordedRequest = {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
};

/** An HTTPS server that keeps every request it gets, for the fake to redirect to. */
export type RecordingServer = {
  /** `https://127.0.0.1:<port>`: another origin than the fake's `https://localhost:<port>`. */
  url: string;
  readonly requests: RecordedRequest[];
  close(): Promise<void>;
};

/**
 * Starts a server that records what it is sent and answers 200 with an empty JSON object, so
 * that a client following a redirect to it gets an answer and the request shows up here.
 */
export async function startRecordingServer(
  pki: TestPki,
): Promise<RecordingServer> {
  const requests: RecordedRequest[] = [];
  const server = https.createServer(
    { cert: pki.localhost.cert, key: pki.localhost.key },
    (request, response) => {
      readBody(request).then(body => {
        requests.push({
          method: request.method ?? '',
          url: request.url ?? '',
          headers: request.headers,
          body: body.toString('utf8'),
        });
        sendJson(response, 200, {});
      });
    },
  );
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `https://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
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

/**
 * Checks a token request as Entra does for the client credentials grant, with a secret or a
 * client assertion signed by a certificate's key.
 */
function checkTokenRequest(
  request: IncomingMessage,
  tenant: string,
  form: URLSearchParams,
  settings: MicrosoftFakeSettings,
  baseUrl: string,
  onAssertion: (assertion: ReceivedClientAssertion) => void,
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
  const credentialRefusal =
    form.has('client_assertion') || form.has('client_assertion_type')
      ? checkClientAssertion(form, tenant, settings, baseUrl, onAssertion)
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
function checkClientAssertion(
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

type ParsedJwt = {
  header: Record<string, unknown>;
  payload: Record<string, unknown>;
  signingInput: string;
  signature: Buffer;
};

function parseJwt(token: string): ParsedJwt | undefined {
  const parts = token.split('.');
  if (parts.length !== 3) {
    return undefined;
  }
  try {
    const decode = (part: string) =>
      JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
    const header = decode(parts[0]);
    const payload = decode(parts[1]);
    if (
      typeof header !== 'object' ||
      header === null ||
      typeof payload !== 'object' ||
      payload === null
    ) {
      return undefined;
    }
    return {
      header,
      payload,
      signingInput: `${parts[0]}.${parts[1]}`,
      signature: Buffer.from(parts[2], 'base64url'),
    };
  } catch {
    return undefined;
  }
}

/** The certificate thumbprint the assertion's header names: `x5t#S256` (SHA-256) or `x5t` (SHA-1). */
function namedThumbprint(
  header: Record<string, unknown>,
): { algorithm: 'sha256' | 'sha1'; hex: string } | undefined {
  const sha256 = header['x5t#S256'];
  if (typeof sha256 === 'string' && sha256) {
    return {
      algorithm: 'sha256',
      hex: Buffer.from(sha256, 'base64url').toString('hex'),
    };
  }
  const sha1 = header.x5t;
  if (typeof sha1 === 'string' && sha1) {
    return {
      algorithm: 'sha1',
      hex: Buffer.from(sha1, 'base64url').toString('hex'),
    };
  }
  return undefined;
}

function thumbprint(
  certificate: X509Certificate,
  algorithm: 'sha256' | 'sha1',
): string {
  return createHash(algorithm).update(certificate.raw).digest('hex');
}

/**
 * The leaf of the assertion's `x5c` chain, if the app trusts it by subject name and issuer: the
 * header's thumbprint must name it, its subject must be trusted and the trusted issuer must have
 * signed it (directly, or through the intermediates that follow it in the chain).
 */
function trustedBySubject(
  header: Record<string, unknown>,
  named: { algorithm: 'sha256' | 'sha1'; hex: string },
  settings: MicrosoftFakeSettings,
): X509Certificate | undefined {
  const x5c = header.x5c;
  if (!Array.isArray(x5c) || x5c.length === 0) {
    return undefined;
  }
  let chain: X509Certificate[];
  try {
    chain = x5c.map(
      der => new X509Certificate(Buffer.from(String(der), 'base64')),
    );
  } catch {
    return undefined;
  }
  const [leaf] = chain;
  if (thumbprint(leaf, named.algorithm) !== named.hex) {
    return undefined;
  }
  const trusted = settings.trustedCertificateSubjects.find(
    ({ subjectName, issuer }) =>
      leaf.subject === `CN=${subjectName}` &&
      chainsTo(chain, new X509Certificate(issuer)),
  );
  return trusted ? leaf : undefined;
}

/**
 * Whether the chain, leaf first, leads to `issuer`: each certificate is issued by the next until
 * one is issued by `issuer` itself.
 */
function chainsTo(chain: X509Certificate[], issuer: X509Certificate): boolean {
  for (let i = 0; i < chain.length; i++) {
    if (issuedBy(chain[i], issuer)) {
      return true;
    }
    const next = chain[i + 1];
    if (!next || !issuedBy(chain[i], next)) {
      return false;
    }
  }
  return false;
}

function issuedBy(
  certificate: X509Certificate,
  issuer: X509Certificate,
): boolean {
  return (
    certificate.checkIssued(issuer) && certificate.verify(issuer.publicKey)
  );
}

function hasValidSignature(
  assertion: ParsedJwt,
  certificate: X509Certificate,
): boolean {
  const padding =
    assertion.header.alg === 'PS256'
      ? {
          padding: cryptoConstants.RSA_PKCS1_PSS_PADDING,
          saltLength: cryptoConstants.RSA_PSS_SALTLEN_AUTO,
        }
      : { padding: cryptoConstants.RSA_PKCS1_PADDING };
  try {
    return verifySignature(
      'sha256',
      Buffer.from(assertion.signingInput),
      { key: certificate.publicKey, ...padding },
      assertion.signature,
    );
  } catch {
    return false;
  }
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

type FileAttachment = NonNullable<GraphMessage['attachments']>[number];

function badBody(message: string): GraphRefusal {
  return { status: 400, code: 'RequestBodyRead', message };
}

/** The JSON body of a request, or Graph's refusal of it. */
function parseJson(
  request: IncomingMessage,
  body: Buffer,
): { value?: unknown; refusal?: GraphRefusal } {
  if (!/^application\/json\b/i.test(request.headers['content-type'] ?? '')) {
    return {
      refusal: {
        status: 415,
        code: 'UnsupportedMediaType',
        message: 'Content-Type must be application/json.',
      },
    };
  }
  try {
    return { value: JSON.parse(body.toString('utf8')) };
  } catch {
    return { refusal: badBody('Invalid JSON in the request body.') };
  }
}

/** Checks the request body as Graph's sendMail does; a refusal, or nothing when it is fine. */
function checkMessage(
  request: IncomingMessage,
  body: Buffer,
): GraphRefusal | undefined {
  const parsed = parseJson(request, body);
  if (parsed.refusal) {
    return parsed.refusal;
  }
  const message = (parsed.value as { message?: unknown } | null)?.message;
  if (typeof message !== 'object' || message === null) {
    return badBody("The parameter 'Message' is required.");
  }
  return checkMessageFields(message, { recipientsRequired: true });
}

/** Checks a Graph message, of sendMail or a new draft (which may have no recipients yet). */
function checkMessageFields(
  value: unknown,
  options: { recipientsRequired: boolean },
): GraphRefusal | undefined {
  if (typeof value !== 'object' || value === null) {
    return badBody('The request body must be a message.');
  }
  const message = value as Partial<GraphMessage>;
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
  const refusal = options.recipientsRequired
    ? checkRecipients(message)
    : checkRecipientAddresses(message);
  if (refusal) {
    return refusal;
  }
  for (const attachment of message.attachments ?? []) {
    const attachmentRefusal = checkFileAttachment(attachment);
    if (attachmentRefusal) {
      return attachmentRefusal;
    }
  }
  return undefined;
}

function allRecipients(message: Partial<GraphMessage>): GraphRecipient[] {
  return [
    ...(message.toRecipients ?? []),
    ...(message.ccRecipients ?? []),
    ...(message.bccRecipients ?? []),
  ];
}

function checkRecipientAddresses(
  message: Partial<GraphMessage>,
): GraphRefusal | undefined {
  return allRecipients(message).some(
    r => !/^[^@\s]+@[^@\s]+$/.test(r?.emailAddress?.address),
  )
    ? {
        status: 400,
        code: 'ErrorInvalidRecipients',
        message: "At least one recipient isn't valid.",
      }
    : undefined;
}

/** A message to be sent needs valid recipients, at least one of them in To. */
function checkRecipients(
  message: Partial<GraphMessage>,
): GraphRefusal | undefined {
  if (!message.toRecipients?.length) {
    return {
      status: 400,
      code: 'ErrorInvalidRecipients',
      message:
        "At least one recipient isn't valid., A message can't be sent because it contains no recipients.",
    };
  }
  return checkRecipientAddresses(message);
}

function checkMessageSize(message: GraphMessage): GraphRefusal | undefined {
  const bytes = (message.attachments ?? []).reduce(
    (sum, attachment) =>
      sum + Buffer.byteLength(attachment.contentBytes, 'base64'),
    Buffer.byteLength(message.body.content),
  );
  return bytes > MAX_MESSAGE_BYTES
    ? {
        status: 400,
        code: 'ErrorMessageSizeExceeded',
        message: 'The message exceeds the maximum supported size.',
      }
    : undefined;
}

function checkFileAttachment(value: unknown): GraphRefusal | undefined {
  const attachment = value as Partial<FileAttachment> | null;
  if (attachment?.['@odata.type'] !== '#microsoft.graph.fileAttachment') {
    return badBody(
      `The property '@odata.type' of an attachment must name a fileAttachment, not '${attachment?.['@odata.type']}'.`,
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
  return undefined;
}

/** Checks the `AttachmentItem` of createUploadSession. */
function checkAttachmentItem(
  item: UploadSession['item'] | undefined,
): GraphRefusal | undefined {
  if (
    typeof item !== 'object' ||
    item === null ||
    (item as { attachmentType?: unknown }).attachmentType !== 'file' ||
    typeof item.name !== 'string' ||
    !item.name ||
    !Number.isInteger(item.size)
  ) {
    return badBody(
      "The AttachmentItem must have attachmentType 'file', a name and a size.",
    );
  }
  if (item.size < UPLOAD_SESSION_MIN_BYTES) {
    return {
      status: 400,
      code: 'ErrorAttachmentSizeShouldNotBeLessThanMinimumSize',
      message: 'Attachment size must be greater than the minimum size.',
    };
  }
  if (item.size > MAX_MESSAGE_BYTES) {
    return {
      status: 400,
      code: 'ErrorAttachmentSizeShouldNotBeLargerThanMaximumSize',
      message: 'Attachment size must be less than the maximum size.',
    };
  }
  return undefined;
}

/** A request that must say how long its body is, even when it has none (POST /send). */
function checkContentLength(
  request: IncomingMessage,
): GraphRefusal | undefined {
  return request.headers['content-length'] === undefined
    ? {
        status: 411,
        code: 'LengthRequired',
        message: 'Content-Length is required.',
      }
    : undefined;
}

/**
 * Checks one PUT to an upload session: its Content-Length and Content-Range say exactly the
 * bytes it carries, at most 4 MB, starting where the previous one ended.
 */
function checkRange(
  request: IncomingMessage,
  body: Buffer,
  session: UploadSession,
): GraphRefusal | undefined {
  const lengthRefusal = checkContentLength(request);
  if (lengthRefusal) {
    return lengthRefusal;
  }
  const expected = `${session.received}-`;
  const invalid = (message: string): GraphRefusal => ({
    status: 400,
    code: 'InvalidContentRange',
    message: `${message} (nextExpectedRanges: ${expected}).`,
  });
  const range = /^bytes (\d+)-(\d+)\/(\d+)$/.exec(
    request.headers['content-range'] ?? '',
  );
  if (!range) {
    return invalid('The Content-Range header is missing or malformed');
  }
  const [start, end, total] = range.slice(1).map(Number);
  if (total !== session.item.size) {
    return invalid(
      `The total size ${total} is not the ${session.item.size} bytes the session was created for`,
    );
  }
  if (start !== session.received) {
    return invalid(`The range starts at byte ${start}`);
  }
  if (end < start || end >= total) {
    return invalid(`The range ${start}-${end} is outside the attachment`);
  }
  if (body.length !== end - start + 1) {
    return invalid(
      `The body has ${body.length} bytes, but the range ${start}-${end} says ${
        end - start + 1
      }`,
    );
  }
  if (body.length > GRAPH_MAX_REQUEST_BYTES) {
    return {
      status: 413,
      code: 'RequestEntityTooLarge',
      message: 'The maximum request length supported is 4MB.',
    };
  }
  return undefined;
}

/** An ID in the shape of Exchange's: URL-safe base64 with padding. */
function newItemId(): string {
  return `AAMkAG${randomBytes(30).toString('base64url')}AAA=`;
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
