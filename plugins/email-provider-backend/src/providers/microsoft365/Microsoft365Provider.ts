import type { AuthenticationResult } from '@azure/msal-node';
import type { LoggerService } from '@backstage/backend-plugin-api';
import type {
  EmailFailure,
  EmailFailureParams,
  VerifyStep,
} from '@email-provider/backstage-plugin-email-provider-common';
import { KeyObject } from 'node:crypto';
import { STATUS_CODES } from 'node:http';
import MailComposer from 'nodemailer/lib/mail-composer';
import {
  ClientCertificate,
  parseClientCertificate,
} from '../../settings/ClientCertificate';
import type { SavedMicrosoft365Settings } from '../../settings/DatabaseSettingsStore';
import { ProviderError, redact } from '../ProviderError';
import type {
  MailAddress,
  MailProvider,
  OutgoingAttachment,
  MessageSizeRule,
  OutgoingMessage,
  SendResult,
} from '../types';
import {
  classifyGraphResponse,
  classifyNetworkError,
  classifyTokenError,
  GraphPermission,
  GraphReply,
  MicrosoftService,
  permissionMissing,
  redirectRefused,
} from './classifyMicrosoftError';
import { measureMessage, megabytes, MessageSize } from '../messageSize';
import { fitsOneRequest, needsUploadSession } from './graphRequestSize';
import {
  AppTokenSource,
  MicrosoftAppCredential,
  MsalClientCache,
} from './MsalClientCache';

// Graph takes an attachment under 3 MB in one request and refuses an upload session for it
// (ErrorAttachmentSizeShouldNotBeLessThanMinimumSize); from 3 MB on, it needs a session.
const UPLOAD_SESSION_MIN_BYTES = 3 * 1024 * 1024;

// An upload session takes at most 4 MB per PUT. Microsoft's other upload sessions (OneDrive)
// insist on multiples of 320 KiB; keeping to that here costs nothing.
const UPLOAD_CHUNK_BYTES = 12 * 320 * 1024;
const DAY_MS = 24 * 60 * 60 * 1000;
/** From this many days before its expiry, the connection check says to renew a credential. */
const RENEW_WITHIN_DAYS = 30;

/**
 * What a Microsoft 365 provider needs: the saved settings, the credential that
 * `settings.credential` names, and the endpoints of the settings' cloud.
 */
export type Microsoft365ProviderOptions = {
  settings: SavedMicrosoft365Settings;
  /** With the `secret` credential (the default). */
  clientSecret?: string;
  /** With the `certificate` credential: the certificate and its private key, PEM. */
  clientCertificatePem?: string;
  /** Such as `https://login.microsoftonline.com`, or the settings' national cloud's. */
  authorityHost: string;
  /** Such as `https://graph.microsoft.com`; the token's scope is `<graphBaseUrl>/.default`. */
  graphBaseUrl: string;
  /** Shared by every provider, so that a token outlives the provider that fetched it. */
  clients: MsalClientCache;
  /** How long one Graph request may take, body included; 30 s unless set. */
  requestTimeoutMs?: number;
  /** For the debug line of a message that goes without its List-Unsubscribe header. */
  logger?: LoggerService;
};

/**
 * Sends mail as the configured sender through Microsoft Graph `sendMail`, with an app-only token
 * from the client credentials flow (application permission Mail.Send). With large messages on
 * (application permission Mail.ReadWrite too), a message too large for one Graph request goes
 * through a draft, upload sessions for its large attachments, and the draft's `send`.
 *
 * A message with a one-click unsubscribe link goes to `sendMail` as MIME instead of JSON, since
 * Graph's JSON takes no header fields but `X-` ones. If that MIME would not fit in one Graph
 * request (its attachments are base64 twice over, so from about 2.2 MB of them), the message
 * goes the JSON way without `List-Unsubscribe`, and a debug line says so. Unlike the JSON way,
 * Graph keeps a copy of a MIME message in the sender's Sent Items: it has no `saveToSentItems`.
 *
 * @remarks
 *
 * `send` makes one attempt: throttling and outages come back as a transient `ProviderError` with
 * `retryAfterMs`, and the caller decides when to try again. The requests for one message go one
 * after the other, so each message in flight holds at most one of the mailbox's concurrent
 * Graph requests.
 */
export class Microsoft365Provider implements MailProvider {
  /**
   * A message too large for one Graph request needs large messages on: the provider then sends
   * through a draft and upload sessions, and only the portal's own maximum applies.
   */
  static readonly refuseSize: MessageSizeRule = (size, settings) =>
    !settings.largeMessages && needsUploadSession(size)
      ? `The message has ${megabytes(
          size.attachmentBytes,
        )} of attachments; Microsoft 365 takes about 3 MB in one message (4 MB per Graph request, base64 included). Send smaller attachments or links to them, or turn on large messages in the Microsoft 365 settings (needs the Mail.ReadWrite application permission)`
      : undefined;

  readonly type = 'microsoft365';

  private readonly from: string;
  private readonly credential: AppCredential;
  /** What must never appear in an error: the client secret, or the private key's text. */
  private readonly secrets: string[];
  private readonly authorityHost: string;
  private readonly graphBaseUrl: string;
  private readonly clients: MsalClientCache;
  private readonly requestTimeoutMs: number;
  private readonly tenantId: string;
  private readonly clientId: string;
  private readonly largeMessages: boolean;
  private readonly logger?: LoggerService;

  constructor(options: Microsoft365ProviderOptions) {
    this.from = options.settings.from;
    this.tenantId = options.settings.tenantId;
    this.clientId = options.settings.clientId;
    this.largeMessages = options.settings.largeMessages === true;
    this.credential = readCredential(options);
    this.secrets = this.credential.secrets;
    this.authorityHost = options.authorityHost.replace(/\/+$/, '');
    this.graphBaseUrl = options.graphBaseUrl.replace(/\/+$/, '');
    this.clients = options.clients;
    this.requestTimeoutMs = options.requestTimeoutMs ?? 30_000;
    this.logger = options.logger;
  }

  async send(message: OutgoingMessage): Promise<SendResult> {
    const mime = await this.composeUnsubscribableMime(message);
    if (mime !== undefined) {
      return this.sendMail(message, mimeBody(mime));
    }
    if (this.largeMessages && needsUploadSession(sizeOf(message))) {
      return this.sendThroughDraft(message);
    }
    return this.sendMail(
      message,
      jsonBody({
        message: {
          ...toGraphMessage(message, this.from),
          attachments: (message.attachments ?? []).map(toFileAttachment),
        },
        saveToSentItems: false,
      }),
    );
  }

  /** The message in one sendMail request, as JSON or as MIME. */
  private async sendMail(
    message: OutgoingMessage,
    body: GraphRequestBody,
  ): Promise<SendResult> {
    const reply = this.requireSuccess(
      await this.callGraph('POST', '/sendMail', body),
      'Mail.Send',
    );
    return { messageId: message.messageId, providerResponse: statusOf(reply) };
  }

  /**
   * The message with its `List-Unsubscribe` and `List-Unsubscribe-Post` header fields, as the
   * base64 MIME that sendMail takes; nothing for a message without an unsubscribe link, or one
   * that cannot go as MIME in one Graph request (then a debug line says why).
   */
  private async composeUnsubscribableMime(
    message: OutgoingMessage,
  ): Promise<string | undefined> {
    const url = message.listUnsubscribeUrl;
    if (url === undefined) {
      return undefined;
    }
    // The log names the message, never the link: its token unsubscribes the recipient.
    const withoutHeader = (reason: string) => {
      this.logger?.debug(
        `Message ${message.messageId} goes to Microsoft Graph without List-Unsubscribe: ${reason}`,
      );
      return undefined;
    };
    // Graph takes the recipients from the header fields, and the MIME built here leaves Bcc
    // out, as a sent message should. Unsubscribable messages have one To recipient anyway.
    if (message.bcc?.length) {
      return withoutHeader(
        'a message with Bcc recipients cannot be sent as MIME without losing them',
      );
    }
    // Base64 inside base64, MIME is larger than the JSON: no need to build it to know.
    if (needsUploadSession(sizeOf(message))) {
      return withoutHeader('it is too large for one Graph request');
    }
    const mime = (
      await toMimeMessage(message, this.from, url).build()
    ).toString('base64');
    return fitsOneRequest(mime.length)
      ? mime
      : withoutHeader(
          `as MIME it would take ${megabytes(
            mime.length,
          )} in base64, over the 4 MB of one Graph request`,
        );
  }

  /**
   * A message too large for one sendMail request: a draft with the bodies and recipients, each
   * attachment added on its own (through an upload session from 3 MB on), then the draft sent.
   * A draft left behind by a failure is deleted, so that retries do not pile drafts up in the
   * sender's mailbox.
   */
  private async sendThroughDraft(
    message: OutgoingMessage,
  ): Promise<SendResult> {
    const created = this.requireSuccess(
      await this.callGraph(
        'POST',
        '/messages',
        jsonBody(toGraphMessage(message, this.from)),
      ),
      'Mail.ReadWrite',
    );
    const draftPath = `/messages/${encodeURIComponent(
      this.readProperty(created, 'id', 'the new draft'),
    )}`;
    try {
      for (const attachment of message.attachments ?? []) {
        if (attachment.content.length < UPLOAD_SESSION_MIN_BYTES) {
          this.requireSuccess(
            await this.callGraph(
              'POST',
              `${draftPath}/attachments`,
              jsonBody(toFileAttachment(attachment)),
            ),
            'Mail.ReadWrite',
          );
        } else {
          await this.upload(draftPath, attachment);
        }
      }
      const sent = this.requireSuccess(
        await this.callGraph('POST', `${draftPath}/send`),
        'Mail.Send',
      );
      return { messageId: message.messageId, providerResponse: statusOf(sent) };
    } catch (error) {
      await this.deleteDraft(draftPath);
      throw error;
    }
  }

  /** Attaches a large file to the draft through an upload session, chunk after chunk. */
  private async upload(draftPath: string, attachment: OutgoingAttachment) {
    const { content } = attachment;
    const session = this.requireSuccess(
      await this.callGraph(
        'POST',
        `${draftPath}/attachments/createUploadSession`,
        jsonBody({
          AttachmentItem: {
            attachmentType: 'file',
            name: attachment.filename,
            size: content.length,
            contentType: attachment.contentType,
            isInline: attachment.contentId !== undefined,
            ...(attachment.contentId
              ? { contentId: attachment.contentId }
              : {}),
          },
        }),
      ),
      'Mail.ReadWrite',
    );
    const location = this.readProperty(
      session,
      'uploadUrl',
      'the upload session',
    );
    // The attachment goes to this URL as it is: only ever over TLS.
    if (!URL.canParse(location) || new URL(location).protocol !== 'https:') {
      throw new ProviderError({
        code: 'provider-error',
        message:
          'Microsoft Graph offered an upload session without an https URL; the attachment was not sent',
        params: {
          reason: 'upload-url-not-https',
        } satisfies EmailFailureParams['provider-error'],
        transient: false,
      });
    }
    const uploadUrl = new URL(location);
    for (let start = 0; start < content.length; start += UPLOAD_CHUNK_BYTES) {
      const end = Math.min(start + UPLOAD_CHUNK_BYTES, content.length);
      this.requireSuccess(
        await this.putChunk(uploadUrl, content, start, end),
        'Mail.ReadWrite',
      );
    }
  }

  /**
   * One range of an attachment to its upload session: 200 while more is expected, 201 once the
   * attachment is complete.
   */
  private async putChunk(
    uploadUrl: URL,
    content: Buffer,
    start: number,
    end: number,
  ): Promise<GraphReply> {
    return this.request(
      uploadUrl,
      {
        method: 'PUT',
        // No Authorization header: the URL carries its own token for this one session, and
        // the app's token has no business going to the host that serves it.
        headers: {
          'Content-Type': 'application/octet-stream',
          'Content-Range': `bytes ${start}-${end - 1}/${content.length}`,
        },
        body: content.subarray(start, end),
      },
      { service: 'upload-session', url: uploadUrl.origin },
    );
  }

  /**
   * Best effort: a draft that stays behind clutters the mailbox but changes nothing about the
   * failure being reported, which is the one the caller needs.
   */
  private async deleteDraft(draftPath: string): Promise<void> {
    try {
      await this.callGraph('DELETE', draftPath);
    } catch {
      // Already failing: the original error is thrown by the caller.
    }
  }

  async verify(): Promise<VerifyStep[]> {
    const tokenStarted = Date.now();
    let token: AuthenticationResult;
    try {
      token = await this.token(true);
    } catch (error) {
      return [
        {
          name: 'token',
          ok: false,
          durationMs: Date.now() - tokenStarted,
          failure: (error as ProviderError).toFailure(),
        },
      ];
    }
    const tokenStep: VerifyStep = {
      name: 'token',
      ok: true,
      durationMs: Date.now() - tokenStarted,
      detail: [describeExpiry(token), describeCredential(this.credential)]
        .filter(Boolean)
        .join('; '),
    };

    const permissionStarted = Date.now();
    const roles = readRoles(token.accessToken);
    const permissionStep: VerifyStep =
      roles === undefined
        ? {
            name: 'permission',
            ok: true,
            durationMs: Date.now() - permissionStarted,
            detail:
              'the token cannot be read here; Microsoft Graph checks Mail.Send on the first send',
          }
        : {
            name: 'permission',
            ok: roles.includes('Mail.Send'),
            durationMs: Date.now() - permissionStarted,
            detail: roles.length
              ? `application roles: ${roles.join(', ')}`
              : 'the token carries no application roles',
            ...(roles.includes('Mail.Send')
              ? {}
              : { failure: permissionMissing().toFailure() }),
          };
    if (!permissionStep.ok || !this.largeMessages) {
      return [tokenStep, permissionStep];
    }
    return [tokenStep, permissionStep, await this.verifyLargeMessages(roles)];
  }

  /**
   * Whether drafts can be made for large messages, without making one: the token must carry
   * Mail.ReadWrite, and Graph must let the app read the sender's drafts folder (which Mail.Read
   * alone would also allow, hence the look at the roles first).
   */
  private async verifyLargeMessages(
    roles: string[] | undefined,
  ): Promise<VerifyStep> {
    const started = Date.now();
    const step = (
      result: Pick<VerifyStep, 'ok' | 'detail' | 'failure'>,
    ): VerifyStep => ({
      name: 'large-messages',
      durationMs: Date.now() - started,
      ...result,
    });
    if (roles !== undefined && !roles.includes('Mail.ReadWrite')) {
      return step({
        ok: false,
        detail: 'the token does not carry Mail.ReadWrite',
        failure: permissionMissing(undefined, 'Mail.ReadWrite').toFailure(),
      });
    }
    try {
      const reply = await this.callGraph(
        'GET',
        '/mailFolders/drafts?$select=id',
      );
      if (!isSuccess(reply)) {
        return step({
          ok: false,
          failure: this.refusal(reply, 'Mail.ReadWrite').toFailure(),
        });
      }
      return step({
        ok: true,
        detail: `the drafts folder of ${this.from} is reachable: messages over 3 MB go through upload sessions`,
      });
    } catch (error) {
      return step({ ok: false, failure: (error as ProviderError).toFailure() });
    }
  }

  async close(): Promise<void> {
    // The MSAL client and its tokens live in the shared MsalClientCache; fetch holds no state.
  }

  private tokens(credential: MicrosoftAppCredential): AppTokenSource {
    return this.clients.get({
      authorityHost: this.authorityHost,
      tenantId: this.tenantId,
      clientId: this.clientId,
      credential,
    });
  }

  private async token(fresh: boolean): Promise<AuthenticationResult> {
    const credential = this.usableCredential();
    try {
      return await this.tokens(credential).acquire(
        `${this.graphBaseUrl}/.default`,
        { fresh },
      );
    } catch (error) {
      throw classifyTokenError(error, this.secrets, {
        certificate:
          this.credential.kind === 'certificate'
            ? this.credential.certificate
            : undefined,
      });
    }
  }

  /**
   * The credential for MSAL, or why there is none to send: a certificate that cannot be used,
   * or one past its end date, which Entra would refuse anyway.
   */
  private usableCredential(): MicrosoftAppCredential {
    const { credential } = this;
    if (credential.kind === 'unusable') {
      throw new ProviderError(credential.failure);
    }
    if (credential.kind === 'secret') {
      return { clientSecret: credential.clientSecret };
    }
    const { certificate } = credential;
    if (Date.parse(certificate.notAfter) <= Date.now()) {
      throw new ProviderError({
        code: 'certificate-expired',
        message: `The certificate ${describeCertificate(
          certificate,
        )} expired on ${day(
          certificate.notAfter,
        )}: create a new one, upload its public part (.cer) to the app registration under Certificates & secrets, and paste the new certificate and private key here`,
        params: {
          reason: 'past-end-date',
          subject: certificate.subject,
          thumbprint: certificate.thumbprint,
          expiredOn: day(certificate.notAfter),
        } satisfies EmailFailureParams['certificate-expired'],
        transient: false,
      });
    }
    return { certificate };
  }

  /**
   * A request to Graph for the sender's mailbox with the app's token; after a 401 it is made
   * once more with a fresh token, since a cached one can be revoked or outlive a changed
   * permission before it expires.
   */
  private async callGraph(
    method: 'GET' | 'POST' | 'DELETE',
    path: string,
    body?: GraphRequestBody,
  ): Promise<GraphReply> {
    const url = `${this.graphBaseUrl}/v1.0/users/${encodeURIComponent(
      this.from,
    )}${path}`;
    let reply = await this.fetchGraph(
      method,
      url,
      body,
      await this.token(false),
    );
    if (reply.status === 401) {
      reply = await this.fetchGraph(method, url, body, await this.token(true));
    }
    return reply;
  }

  private async fetchGraph(
    method: string,
    url: string,
    body: GraphRequestBody | undefined,
    token: AuthenticationResult,
  ): Promise<GraphReply> {
    return this.request(
      url,
      {
        method,
        headers: {
          Authorization: `Bearer ${token.accessToken}`,
          Accept: 'application/json',
          ...(body === undefined ? {} : { 'Content-Type': body.contentType }),
        },
        body: body?.content,
      },
      { service: 'graph', url: this.graphBaseUrl },
    );
  }

  /**
   * One HTTP exchange within the request timeout; a network failure names `where` it went. A
   * redirect is refused, not followed: it would take the token or the message elsewhere.
   */
  private async request(
    url: string | URL,
    init: RequestInit,
    where: MicrosoftService,
  ): Promise<GraphReply> {
    const response = await fetch(url, {
      ...init,
      redirect: 'manual',
      signal: AbortSignal.timeout(this.requestTimeoutMs),
    }).catch(error => {
      throw classifyNetworkError(error, where);
    });
    if (response.status >= 300 && response.status < 400) {
      await response.body?.cancel().catch(() => undefined);
      throw redirectRefused(
        {
          status: response.status,
          location: response.headers.get('location'),
          url,
        },
        where,
        'graphBaseUrl',
      );
    }
    return {
      status: response.status,
      retryAfter: response.headers.get('retry-after'),
      body: await response.text().catch(error => {
        throw classifyNetworkError(error, where);
      }),
    };
  }

  /** The reply, if Graph took the request; otherwise what it refused, and why. */
  private requireSuccess(
    reply: GraphReply,
    permission: GraphPermission,
  ): GraphReply {
    if (!isSuccess(reply)) {
      throw this.refusal(reply, permission);
    }
    return reply;
  }

  private refusal(
    reply: GraphReply,
    permission: GraphPermission,
  ): ProviderError {
    return classifyGraphResponse(reply, {
      from: this.from,
      secrets: this.secrets,
      permission,
    });
  }

  /** A string property of a successful answer, which the next request needs. */
  private readProperty(
    reply: GraphReply,
    property: string,
    what: string,
  ): string {
    let value: unknown;
    try {
      value = JSON.parse(reply.body)?.[property];
    } catch {
      value = undefined;
    }
    if (typeof value !== 'string' || value === '') {
      throw new ProviderError({
        code: 'provider-error',
        message: `Microsoft Graph answered for ${what} without its ${property}`,
        transient: false,
        providerReply: redact(`${reply.status} ${reply.body}`, this.secrets),
      });
    }
    return value;
  }
}

/** The app's credential, read once from what the settings saved, or why it cannot be used. */
type AppCredential =
  | {
      kind: 'secret';
      clientSecret: string;
      /** As the admin copied it from Entra; the secret itself cannot tell. */
      expiresAt?: string;
      secrets: string[];
    }
  | { kind: 'certificate'; certificate: ClientCertificate; secrets: string[] }
  | { kind: 'unusable'; failure: EmailFailure; secrets: string[] };

function readCredential(options: Microsoft365ProviderOptions): AppCredential {
  const { settings } = options;
  const unusable = (
    message: string,
    secrets: string[],
    params?: EmailFailureParams['provider-error'],
  ): AppCredential => ({
    kind: 'unusable',
    failure: {
      code: 'provider-error',
      message,
      ...(params ? { params } : {}),
      transient: false,
    },
    secrets,
  });
  if (settings.credential !== 'certificate') {
    return options.clientSecret
      ? {
          kind: 'secret',
          clientSecret: options.clientSecret,
          expiresAt: settings.clientSecretExpiresAt,
          secrets: [options.clientSecret],
        }
      : unusable(
          'No client secret is saved for Microsoft 365: enter the secret and save',
          [],
          { reason: 'secret-missing' },
        );
  }
  const pem = options.clientCertificatePem;
  if (!pem) {
    return unusable(
      'No certificate is saved for Microsoft 365: paste the certificate and its private key and save',
      [],
      { reason: 'certificate-missing' },
    );
  }
  let certificate: ClientCertificate;
  try {
    certificate = parseClientCertificate(pem);
  } catch (error) {
    // The parser's messages name the problem, never the key.
    return unusable(
      `The saved certificate cannot be used: ${(error as Error).message}`,
      privateKeyTexts(pem),
    );
  }
  // parseClientCertificate also refused a key Entra cannot take (not RSA, or under 2048 bits).
  const secrets = privateKeyTexts(pem, certificate.privateKey);
  return { kind: 'certificate', certificate, secrets };
}

/**
 * The private key as text, in the forms it could be echoed in: each line of its base64 and the
 * whole of it, as pasted and as the PKCS#8 PEM that MSAL signs with. Lines too short to be
 * particular to the key are left out.
 */
function privateKeyTexts(pem: string, key?: KeyObject): string[] {
  const blocks = [
    ...pem.matchAll(
      /-----BEGIN [A-Z ]*PRIVATE KEY-----([\s\S]*?)-----END [A-Z ]*PRIVATE KEY-----/g,
    ),
  ].map(match => match[1]);
  if (key) {
    blocks.push(
      key
        .export({ type: 'pkcs8', format: 'pem' })
        .toString()
        .replace(/-----(?:BEGIN|END) PRIVATE KEY-----/g, ''),
    );
  }
  return [
    ...new Set(
      blocks.flatMap(body => [
        body.replace(/\s+/g, ''),
        ...body.split(/\s+/).filter(line => line.length >= 16),
      ]),
    ),
  ];
}

function describeCertificate(certificate: ClientCertificate): string {
  return `${certificate.subject} (thumbprint ${certificate.thumbprint})`;
}

/** The day of an ISO date or moment, as Entra lists expiry dates. */
function day(iso: string): string {
  return new Date(iso).toISOString().slice(0, 10);
}

/**
 * When the credential in use expires, for the connection check: the certificate's end date,
 * or the client secret's as entered; nothing for a secret whose expiry was not entered.
 */
function describeCredential(credential: AppCredential): string | undefined {
  if (credential.kind === 'certificate') {
    const { certificate } = credential;
    return `certificate ${certificate.subject}, thumbprint ${
      certificate.thumbprint
    }, ${describeExpiryDate(certificate.notAfter)}`;
  }
  if (credential.kind === 'secret' && credential.expiresAt) {
    if (Date.parse(credential.expiresAt) <= Date.now()) {
      return `client secret: the expiry entered, ${day(
        credential.expiresAt,
      )}, has passed, yet Microsoft Entra accepted the secret; correct the date`;
    }
    return `client secret ${describeExpiryDate(credential.expiresAt)}`;
  }
  return undefined;
}

function describeExpiryDate(iso: string): string {
  const remainingMs = Date.parse(iso) - Date.now();
  const days = Math.floor(remainingMs / DAY_MS);
  let when = `in ${days} days`;
  if (days === 0) {
    when = 'today';
  } else if (days === 1) {
    when = 'in 1 day';
  }
  return remainingMs <= RENEW_WITHIN_DAYS * DAY_MS
    ? `expires ${day(iso)} (${when}: renew it before then)`
    : `expires ${day(iso)} (${when})`;
}

function isSuccess(reply: GraphReply): boolean {
  return reply.status >= 200 && reply.status < 300;
}

function statusOf(reply: GraphReply): string {
  return `${reply.status} ${STATUS_CODES[reply.status]}`;
}

/** Decoded sizes of a message, as the outbox measured it when the message was accepted. */
function sizeOf(message: OutgoingMessage): MessageSize {
  return measureMessage(
    message,
    (message.attachments ?? []).reduce(
      (sum, attachment) => sum + attachment.content.length,
      0,
    ),
  );
}

function toGraphRecipient(mailbox: MailAddress) {
  return {
    emailAddress: {
      address: mailbox.address,
      ...(mailbox.name ? { name: mailbox.name } : {}),
    },
  };
}

/** A Graph message without its attachments: the `message` of sendMail, or a new draft. */
function toGraphMessage(message: OutgoingMessage, from: string) {
  return {
    subject: message.subject,
    // A Graph message has a single body, so the HTML part wins over the text part.
    body:
      message.html !== undefined
        ? { contentType: 'HTML', content: message.html }
        : { contentType: 'Text', content: message.text ?? '' },
    from: toGraphRecipient({ address: from }),
    toRecipients: message.to.map(toGraphRecipient),
    ccRecipients: (message.cc ?? []).map(toGraphRecipient),
    bccRecipients: (message.bcc ?? []).map(toGraphRecipient),
    replyTo: (message.replyTo ?? []).map(toGraphRecipient),
    // Graph takes no Message-ID header, but it takes the same value as internetMessageId.
    internetMessageId: message.messageId,
  };
}

/**
 * The message as MIME, with what the JSON way sends (the sender, Message-ID, recipients,
 * Reply-To, bodies, attachments and inline images) and the one-click unsubscribe header fields
 * of RFC 8058.
 */
function toMimeMessage(
  message: OutgoingMessage,
  from: string,
  listUnsubscribeUrl: string,
) {
  const mailbox = ({ address, name }: MailAddress) => ({
    address,
    name: name ?? '',
  });
  return new MailComposer({
    from: mailbox({ address: from }),
    to: message.to.map(mailbox),
    cc: message.cc?.map(mailbox),
    replyTo: message.replyTo?.map(mailbox),
    subject: message.subject,
    text: message.text,
    html: message.html,
    messageId: message.messageId,
    headers: {
      // As WHATWG serializes it, a URL has no spaces, angle brackets or line breaks.
      'List-Unsubscribe': `<${new URL(listUnsubscribeUrl).href}>`,
      'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click',
    },
    attachments: message.attachments?.map(attachment => ({
      filename: attachment.filename,
      contentType: attachment.contentType,
      content: attachment.content,
      ...(attachment.contentId ? { cid: attachment.contentId } : {}),
    })),
    disableFileAccess: true,
    disableUrlAccess: true,
  }).compile();
}

/** A Graph request body and its Content-Type. */
type GraphRequestBody = {
  contentType: 'application/json' | 'text/plain';
  content: string;
};

function jsonBody(value: object): GraphRequestBody {
  return { contentType: 'application/json', content: JSON.stringify(value) };
}

/** sendMail takes a MIME message as its base64, in a `text/plain` body. */
function mimeBody(base64: string): GraphRequestBody {
  return { contentType: 'text/plain', content: base64 };
}

function toFileAttachment(attachment: OutgoingAttachment) {
  return {
    '@odata.type': '#microsoft.graph.fileAttachment',
    name: attachment.filename,
    contentType: attachment.contentType,
    contentBytes: attachment.content.toString('base64'),
    ...(attachment.contentId
      ? { isInline: true, contentId: attachment.contentId }
      : {}),
  };
}

function describeExpiry(token: AuthenticationResult): string {
  if (!token.expiresOn) {
    return 'token issued';
  }
  const minutes = Math.round((token.expiresOn.getTime() - Date.now()) / 60_000);
  return `token issued, expires in ${minutes} min`;
}

/**
 * The application roles in an access token's payload. The signature is not checked: the token
 * came straight from Entra over TLS, and Graph checks it on every request.
 */
function readRoles(accessToken: string): string[] | undefined {
  try {
    const payload = JSON.parse(
      Buffer.from(accessToken.split('.')[1], 'base64url').toString('utf8'),
    );
    return Array.isArray(payload.roles)
      ? payload.roles.filter((role: unknown) => typeof role === 'string')
      : [];
  } catch {
    return undefined;
  }
}
