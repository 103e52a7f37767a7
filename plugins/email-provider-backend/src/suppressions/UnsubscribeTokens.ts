import type {
  DiscoveryService,
  LoggerService,
  RootConfigService,
} from '@backstage/backend-plugin-api';
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { readDurationMs } from '../config/readDurationMs';
import { SecretCipher } from '../settings/SecretCipher';

export const UNSUBSCRIBE_LINK_LIFETIME_CONFIG =
  'emailProvider.unsubscribe.linkLifetime';
const DEFAULT_LIFETIME_MS = 60 * 24 * 3600_000;

const VERSION = 1;
const IV_BYTES = 12;
const TAG_BYTES = 16;
// Binds a token to its use: no other ciphertext made with a key derived for this purpose
// decrypts as a token.
const ADDITIONAL_DATA = Buffer.from(
  'backstage email-provider unsubscribe token',
  'utf8',
);
// `List-Unsubscribe: <link>` is one header line, which mail limits to 998 characters and which
// cannot be folded inside the link: a description that would make it longer is left out.
const MAX_LINK_LENGTH = 900;
// Longer than any token this issues; a longer one is refused before it is decoded.
const MAX_TOKEN_LENGTH = 2048;

/** What an unsubscribe link lets its holder do: take `address` off one caller's list. */
export type UnsubscribeGrant = {
  /** The plugin whose messages the address no longer gets. */
  caller: string;
  /** The `unsubscribe.list` of the message. */
  list: string;
  /** The `unsubscribe.description` of the message, for the page and the suppression list. */
  description?: string;
  /** The message's one recipient. */
  address: string;
};

/** The payload, in short keys: the whole token goes into one header line. */
type Payload = {
  /** version */
  v: number;
  /** caller */
  c: string;
  /** list */
  l: string;
  /** description */
  d?: string;
  /** address */
  a: string;
  /** expires at, seconds since the epoch */
  e: number;
};

function isPayload(value: unknown): value is Payload {
  const p = value as Payload;
  return (
    typeof p === 'object' &&
    p !== null &&
    p.v === VERSION &&
    typeof p.c === 'string' &&
    typeof p.l === 'string' &&
    (p.d === undefined || typeof p.d === 'string') &&
    typeof p.a === 'string' &&
    typeof p.e === 'number'
  );
}

/**
 * Issues and reads the one-click unsubscribe links of RFC 8058. A token is the grant and its
 * expiry, encrypted and authenticated with AES-256-GCM under a key derived from the encryption
 * key, in base64url: nobody can make or alter one without the key, and the address in it cannot
 * be read from the link (a link forwarded or logged by a proxy gives no address away). The
 * current key issues; tokens of the keys in `previousKeys` are still read, so links in mail sent
 * before a key rotation keep working until they expire.
 *
 * A token that is forged, altered, expired, of a key no longer configured or not a token at all
 * is refused the same way (`read` gives undefined), so the answer tells a prober nothing.
 */
export class UnsubscribeTokens {
  static fromConfig(
    config: RootConfigService,
    deps: {
      cipher: SecretCipher;
      discovery: DiscoveryService;
      logger: LoggerService;
    },
  ): UnsubscribeTokens {
    return new UnsubscribeTokens({
      keys: deps.cipher.deriveKeys('unsubscribe token'),
      lifetimeMs: readDurationMs(config, {
        key: UNSUBSCRIBE_LINK_LIFETIME_CONFIG,
        defaultMs: DEFAULT_LIFETIME_MS,
        logger: deps.logger,
      }),
      baseUrl: () => deps.discovery.getExternalBaseUrl('email-provider'),
    });
  }

  constructor(
    private readonly options: {
      /** `keys[0]` issues; all of them read. */
      keys: Buffer[];
      lifetimeMs: number;
      /** The plugin's external base URL, which the links start with. */
      baseUrl: () => Promise<string>;
    },
  ) {}

  /**
   * What mail clients and mailbox providers need to offer the link: https. They ignore a
   * `List-Unsubscribe-Post` link over http, so the startup log says so once.
   */
  async startupWarning(): Promise<string | undefined> {
    const base = await this.options.baseUrl();
    if (/^https:\/\//i.test(base)) {
      return undefined;
    }
    return `One-click unsubscribe links start with ${base}, which is not https: RFC 8058 requires https, and mail clients do not offer an http link as one-click unsubscribe. Serve the backend over https and set backend.baseUrl (or the discovery's external URL) to it`;
  }

  /** The link for a message's `List-Unsubscribe` header, valid for the configured lifetime. */
  async link(grant: UnsubscribeGrant, now = new Date()): Promise<string> {
    const base = `${(await this.options.baseUrl()).replace(
      /\/+$/,
      '',
    )}/unsubscribe/`;
    const link = base + this.issue(grant, now);
    if (link.length <= MAX_LINK_LENGTH || grant.description === undefined) {
      return link;
    }
    const { description: _left, ...withoutDescription } = grant;
    return base + this.issue(withoutDescription, now);
  }

  /** A token for `grant`, expiring after the configured lifetime. */
  issue(grant: UnsubscribeGrant, now = new Date()): string {
    const payload: Payload = {
      v: VERSION,
      c: grant.caller,
      l: grant.list,
      ...(grant.description === undefined ? {} : { d: grant.description }),
      a: grant.address,
      e: Math.floor((now.getTime() + this.options.lifetimeMs) / 1000),
    };
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.options.keys[0], iv, {
      authTagLength: TAG_BYTES,
    });
    cipher.setAAD(ADDITIONAL_DATA);
    const body = Buffer.concat([
      cipher.update(JSON.stringify(payload), 'utf8'),
      cipher.final(),
    ]);
    return Buffer.concat([
      Buffer.from([VERSION]),
      iv,
      cipher.getAuthTag(),
      body,
    ]).toString('base64url');
  }

  /** The grant of a valid token, or undefined for anything else, whatever is wrong with it. */
  read(token: string, now = new Date()): UnsubscribeGrant | undefined {
    if (token.length > MAX_TOKEN_LENGTH || !/^[A-Za-z0-9_-]+$/.test(token)) {
      return undefined;
    }
    const bytes = Buffer.from(token, 'base64url');
    if (
      // Only the one spelling of its bytes this issues: no other text reads as the same token.
      bytes.toString('base64url') !== token ||
      bytes.length <= 1 + IV_BYTES + TAG_BYTES ||
      bytes[0] !== VERSION
    ) {
      return undefined;
    }
    const iv = bytes.subarray(1, 1 + IV_BYTES);
    const tag = bytes.subarray(1 + IV_BYTES, 1 + IV_BYTES + TAG_BYTES);
    const body = bytes.subarray(1 + IV_BYTES + TAG_BYTES);
    for (const key of this.options.keys) {
      const payload = decrypt(key, iv, tag, body);
      if (payload === undefined) {
        continue;
      }
      if (!isPayload(payload) || payload.e * 1000 <= now.getTime()) {
        return undefined;
      }
      return {
        caller: payload.c,
        list: payload.l,
        ...(payload.d === undefined ? {} : { description: payload.d }),
        address: payload.a,
      };
    }
    return undefined;
  }
}

function decrypt(
  key: Buffer,
  iv: Buffer,
  tag: Buffer,
  body: Buffer,
): unknown | undefined {
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, iv, {
      authTagLength: TAG_BYTES,
    });
    decipher.setAAD(ADDITIONAL_DATA);
    decipher.setAuthTag(tag);
    const plaintext = Buffer.concat([
      decipher.update(body),
      decipher.final(),
    ]).toString('utf8');
    return JSON.parse(plaintext);
  } catch {
    // Not made with this key, or altered.
    return undefined;
  }
}
