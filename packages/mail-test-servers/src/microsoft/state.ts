import type { IncomingMessage, ServerResponse } from 'node:http';
import type { GraphDraft, ReceivedGraphMail } from './graphMessage';
import { initialSettings, MicrosoftFakeSettings } from './settings';

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

/** The decoded header and claims of a client assertion the token endpoint received. */
export type ReceivedClientAssertion = {
  header: Record<string, unknown>;
  payload: Record<string, unknown>;
};

/** The requests `redirect` can turn away. */
export type RedirectedRequest = 'token' | 'graph' | 'upload';

/** An attachment being uploaded to a draft, range after range. */
export type UploadSession = {
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

type IssuedToken = { expiresAt: number; roles: string[] };

type Redirect = { remaining: number; status: number; target: string };

/** Answers one request the fake routed to it; `match` holds the path's captured parts. */
export type FakeHandler = (
  fake: FakeState,
  request: IncomingMessage,
  response: ServerResponse,
  match: RegExpExecArray,
) => Promise<void>;

/**
 * A failure armed for the next requests of a kind: each one it takes is refused with
 * `Retry-After`, as Microsoft throttles or has an outage, until the count runs out.
 */
export class ArmedFailure {
  private remaining = 0;
  private retryAfterSeconds = 0;

  arm(count: number, retryAfterSeconds: number) {
    this.remaining = count;
    this.retryAfterSeconds = retryAfterSeconds;
  }

  /** The Retry-After header for this request if the failure takes it, else nothing. */
  take(): Record<string, string> | undefined {
    if (this.remaining <= 0) {
      return undefined;
    }
    this.remaining -= 1;
    return { 'Retry-After': String(this.retryAfterSeconds) };
  }
}

function zeroCounters(): MicrosoftFakeCounters {
  return {
    tokenRequests: 0,
    sendMailRequests: 0,
    graphRequestsInFlight: 0,
    maxGraphRequestsInFlight: 0,
    draftsCreated: 0,
    uploadChunks: 0,
    uploadsWithAuthorization: 0,
    redirects: 0,
  };
}

/**
 * Everything the fake knows, shared by its endpoints: the app registration, the tokens it
 * issued, mail, drafts and upload sessions, counts, and the failures armed for next requests.
 */
export class FakeState {
  private readonly initial: MicrosoftFakeSettings;
  settings: MicrosoftFakeSettings;
  /** `https://localhost:<port>`, known once the server listens. */
  baseUrl = '';
  readonly counters = zeroCounters();
  readonly received: ReceivedGraphMail[] = [];
  readonly clientAssertions: ReceivedClientAssertion[] = [];
  readonly drafts = new Map<string, GraphDraft>();
  readonly uploadSessions = new Map<string, UploadSession>();
  readonly issuedTokens = new Map<string, IssuedToken>();
  readonly sendMailThrottle = new ArmedFailure();
  readonly uploadThrottle = new ArmedFailure();
  readonly tokenOutage = new ArmedFailure();
  private readonly redirects = new Map<RedirectedRequest, Redirect>();

  constructor(
    overrides: Partial<MicrosoftFakeSettings>,
    private readonly onMessage?: (mail: ReceivedGraphMail) => void,
  ) {
    this.initial = initialSettings(overrides);
    this.settings = { ...this.initial };
  }

  /** Keeps a message the fake accepted for sending. */
  accept(mail: ReceivedGraphMail) {
    this.received.push(mail);
    this.onMessage?.(mail);
  }

  /** Drops a draft's upload sessions: they go with it, whether it is sent or deleted. */
  dropUploadSessions(draftId: string) {
    for (const session of this.uploadSessions.values()) {
      if (session.draftId === draftId) {
        this.uploadSessions.delete(session.id);
      }
    }
  }

  armRedirect(kind: RedirectedRequest, redirect: Redirect) {
    this.redirects.set(kind, redirect);
  }

  /** Where to redirect this request of `kind`, if a redirect is armed for it (counting it). */
  takeRedirect(
    kind: RedirectedRequest,
  ): { status: number; target: string } | undefined {
    const redirect = this.redirects.get(kind);
    if (!redirect || redirect.remaining <= 0) {
      return undefined;
    }
    redirect.remaining -= 1;
    this.counters.redirects += 1;
    return redirect;
  }

  /** Back to the start options, with no mail, counts, armed failures or valid tokens. */
  reset() {
    this.settings = { ...this.initial };
    this.received.length = 0;
    this.clientAssertions.length = 0;
    this.drafts.clear();
    this.uploadSessions.clear();
    // Requests still in flight stay counted, so the count cannot go negative.
    Object.assign(this.counters, {
      ...zeroCounters(),
      graphRequestsInFlight: this.counters.graphRequestsInFlight,
      maxGraphRequestsInFlight: this.counters.graphRequestsInFlight,
    });
    this.issuedTokens.clear();
    this.sendMailThrottle.arm(0, 0);
    this.uploadThrottle.arm(0, 0);
    this.tokenOutage.arm(0, 0);
    this.redirects.clear();
  }
}
