import type { AuthenticationResult } from '@azure/msal-node';
import type { VerifyStep } from '@internal/plugin-email-provider-common';
import { STATUS_CODES } from 'node:http';
import type { SavedMicrosoft365Settings } from '../../settings/DatabaseSettingsStore';
import { ProviderError } from '../ProviderError';
import type {
  MailAddress,
  MailProvider,
  OutgoingMessage,
  SendResult,
} from '../types';
import {
  classifyGraphResponse,
  classifyNetworkError,
  classifyTokenError,
  GraphReply,
  permissionMissing,
} from './classifyMicrosoftError';
import { AppTokenSource, MsalClientCache } from './MsalClientCache';

/** What a Microsoft 365 provider needs: the saved settings, the secret and the endpoints. */
export type Microsoft365ProviderOptions = {
  settings: SavedMicrosoft365Settings;
  clientSecret: string;
  /** Such as `https://login.microsoftonline.com`; from app-config, so national clouds work. */
  authorityHost: string;
  /** Such as `https://graph.microsoft.com`; from app-config. */
  graphBaseUrl: string;
  /** Shared by every provider, so that a token outlives the provider that fetched it. */
  clients: MsalClientCache;
  /** How long one Graph request may take, body included; 30 s unless set. */
  requestTimeoutMs?: number;
};

/**
 * Sends mail as the configured sender through Microsoft Graph `sendMail`, with an app-only token
 * from the client credentials flow (application permission Mail.Send).
 *
 * @remarks
 *
 * `send` makes one attempt: throttling and outages come back as a transient `ProviderError` with
 * `retryAfterMs`, and the caller decides when to try again.
 */
export class Microsoft365Provider implements MailProvider {
  readonly type = 'microsoft365';

  private readonly from: string;
  private readonly clientSecret: string;
  private readonly authorityHost: string;
  private readonly graphBaseUrl: string;
  private readonly clients: MsalClientCache;
  private readonly requestTimeoutMs: number;
  private readonly tenantId: string;
  private readonly clientId: string;

  constructor(options: Microsoft365ProviderOptions) {
    this.from = options.settings.from;
    this.tenantId = options.settings.tenantId;
    this.clientId = options.settings.clientId;
    this.clientSecret = options.clientSecret;
    this.authorityHost = options.authorityHost.replace(/\/+$/, '');
    this.graphBaseUrl = options.graphBaseUrl.replace(/\/+$/, '');
    this.clients = options.clients;
    this.requestTimeoutMs = options.requestTimeoutMs ?? 30_000;
  }

  async send(message: OutgoingMessage): Promise<SendResult> {
    const body = JSON.stringify({
      message: toGraphMessage(message, this.from),
      saveToSentItems: false,
    });
    let reply = await this.postSendMail(body, await this.token(false));
    if (reply.status === 401) {
      // A cached token can be revoked or outlive a changed permission before it expires.
      reply = await this.postSendMail(body, await this.token(true));
    }
    if (reply.status >= 200 && reply.status < 300) {
      return {
        messageId: message.messageId,
        providerResponse: `${reply.status} ${STATUS_CODES[reply.status]}`,
      };
    }
    throw classifyGraphResponse(reply, {
      from: this.from,
      secrets: [this.clientSecret],
    });
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
      detail: describeExpiry(token),
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
    return [tokenStep, permissionStep];
  }

  async close(): Promise<void> {
    // The MSAL client and its tokens live in the shared MsalClientCache; fetch holds no state.
  }

  private tokens(): AppTokenSource {
    return this.clients.get({
      authorityHost: this.authorityHost,
      tenantId: this.tenantId,
      clientId: this.clientId,
      clientSecret: this.clientSecret,
    });
  }

  private async token(fresh: boolean): Promise<AuthenticationResult> {
    try {
      return await this.tokens().acquire(`${this.graphBaseUrl}/.default`, {
        fresh,
      });
    } catch (error) {
      throw classifyTokenError(error, [this.clientSecret]);
    }
  }

  private async postSendMail(
    body: string,
    token: AuthenticationResult,
  ): Promise<GraphReply> {
    const url = `${this.graphBaseUrl}/v1.0/users/${encodeURIComponent(
      this.from,
    )}/sendMail`;
    try {
      const response = await fetch(url, {
        method: 'POST',
        headers: {
          Authorization: `Bearer ${token.accessToken}`,
          'Content-Type': 'application/json',
          Accept: 'application/json',
        },
        body,
        signal: AbortSignal.timeout(this.requestTimeoutMs),
      });
      return {
        status: response.status,
        retryAfter: response.headers.get('retry-after'),
        body: await response.text(),
      };
    } catch (error) {
      throw classifyNetworkError(
        error,
        `Microsoft Graph at ${this.graphBaseUrl}`,
      );
    }
  }
}

function toGraphRecipient(mailbox: MailAddress) {
  return {
    emailAddress: {
      address: mailbox.address,
      ...(mailbox.name ? { name: mailbox.name } : {}),
    },
  };
}

/** The `message` of a Graph `sendMail` request. */
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
    attachments: (message.attachments ?? []).map(attachment => ({
      '@odata.type': '#microsoft.graph.fileAttachment',
      name: attachment.filename,
      contentType: attachment.contentType,
      contentBytes: attachment.content.toString('base64'),
      ...(attachment.contentId
        ? { isInline: true, contentId: attachment.contentId }
        : {}),
    })),
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
