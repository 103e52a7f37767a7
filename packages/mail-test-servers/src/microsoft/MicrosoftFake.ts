import https from 'node:https';
import type { AddressInfo } from 'node:net';
import type { TestPki } from '../pki/certificates';
import type { GraphDraft, ReceivedGraphMail } from './graphMessage';
import { routeRequest } from './routes';
import type { MicrosoftFakeSettings } from './settings';
import {
  FakeState,
  MicrosoftFakeCounters,
  ReceivedClientAssertion,
  RedirectedRequest,
} from './state';

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

export type MicrosoftFakeOptions = Partial<MicrosoftFakeSettings> & {
  /** The port to listen on; a free one unless set. */
  port?: number;
  /** Called for every message the fake accepts, through sendMail or a draft's send. */
  onMessage?: (mail: ReceivedGraphMail) => void;
};

/**
 * Starts a local HTTPS stand-in for the Microsoft Entra token endpoint and Microsoft Graph,
 * served with the PKI's localhost certificate. It checks requests as the real services do and
 * answers with their real error bodies, so a provider that passes here speaks the real protocol:
 * sendMail (JSON, or base64 MIME as text/plain), and for large messages drafts, attachments,
 * upload sessions (served on its own host, authorized by the URL alone) and a draft's send.
 */
export async function startMicrosoftFake(
  pki: TestPki,
  options: MicrosoftFakeOptions = {},
): Promise<MicrosoftFake> {
  const { port = 0, onMessage, ...overrides } = options;
  const fake = new FakeState(overrides, onMessage);
  const server = https.createServer(
    { cert: pki.localhost.cert, key: pki.localhost.key },
    (request, response) => {
      routeRequest(fake, request, response).catch(error => {
        if (!response.headersSent) {
          response.writeHead(500).end(String(error));
        }
      });
    },
  );
  await new Promise<void>(resolve => server.listen(port, '127.0.0.1', resolve));
  fake.baseUrl = `https://localhost:${(server.address() as AddressInfo).port}`;

  return {
    authorityHost: fake.baseUrl,
    graphBaseUrl: fake.baseUrl,
    get settings() {
      return fake.settings;
    },
    configure(changes) {
      fake.settings = { ...fake.settings, ...changes };
    },
    received: fake.received,
    clientAssertions: fake.clientAssertions,
    drafts: fake.drafts,
    counters: fake.counters,
    throttleSendMail(count, retryAfterSeconds) {
      fake.sendMailThrottle.arm(count, retryAfterSeconds);
    },
    throttleUploads(count, retryAfterSeconds) {
      fake.uploadThrottle.arm(count, retryAfterSeconds);
    },
    failTokenRequests(count, retryAfterSeconds) {
      fake.tokenOutage.arm(count, retryAfterSeconds);
    },
    redirect(kind, target, { status = 307, count = 1 } = {}) {
      fake.armRedirect(kind, { remaining: count, status, target });
    },
    revokeTokens() {
      fake.issuedTokens.clear();
    },
    reset() {
      fake.reset();
    },
    async close() {
      await new Promise<void>(resolve => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}
