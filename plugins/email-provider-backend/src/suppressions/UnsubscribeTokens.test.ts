import { mockServices } from '@backstage/backend-test-utils';
import { ConfigReader } from '@backstage/config';
import { SecretCipher } from '../settings/SecretCipher';
import { UnsubscribeGrant, UnsubscribeTokens } from './UnsubscribeTokens';

const KEY = 'unsubscribe-test-key-0123456789abcdef0123456789';
const NEW_KEY = 'unsubscribe-test-new-key-0123456789abcdef01234';
const BASE = 'https://portal.example.com/api/email-provider';
const DAY_MS = 24 * 3600_000;

const grant: UnsubscribeGrant = {
  caller: 'plugin:notifications',
  list: 'notification:plugin:catalog',
  description: 'Notifications from the catalog',
  address: 'Ada.Lovelace@example.com',
};

function tokensFor(
  config: { key: string; previousKeys?: string[]; linkLifetime?: string },
  baseUrl = BASE,
) {
  const rootConfig = new ConfigReader({
    emailProvider: {
      encryption: { key: config.key, previousKeys: config.previousKeys },
      ...(config.linkLifetime
        ? { unsubscribe: { linkLifetime: config.linkLifetime } }
        : {}),
    },
  });
  const logger = mockServices.logger.mock();
  return UnsubscribeTokens.fromConfig(rootConfig, {
    cipher: SecretCipher.fromConfig(rootConfig, { logger }),
    discovery: mockServices.discovery.mock({
      getExternalBaseUrl: async () => baseUrl,
    }),
    logger,
  });
}

/** The token with one character of it changed. */
function altered(token: string, at: number): string {
  const chars = token.split('');
  chars[at] = chars[at] === 'A' ? 'B' : 'A';
  return chars.join('');
}

describe('UnsubscribeTokens', () => {
  const tokens = tokensFor({ key: KEY });

  it('reads back the grant of a token it issued', () => {
    expect(tokens.read(tokens.issue(grant))).toEqual(grant);
    const { description: _none, ...withoutDescription } = grant;
    expect(tokens.read(tokens.issue(withoutDescription))).toEqual(
      withoutDescription,
    );
  });

  it('keeps the address out of the link, in any encoding', async () => {
    const link = await tokens.link(grant);
    expect(link).toMatch(
      /^https:\/\/portal\.example\.com\/api\/email-provider\/unsubscribe\/[A-Za-z0-9_-]+$/,
    );
    const token = link.slice(link.lastIndexOf('/') + 1);
    const decoded = Buffer.from(token, 'base64url').toString('latin1');
    for (const text of [link, decoded]) {
      expect(text.toLowerCase()).not.toContain('lovelace');
      expect(text).not.toContain('catalog');
    }
    // Two links for the same grant differ: nothing in them says they are for the same address.
    expect(await tokens.link(grant)).not.toBe(link);
  });

  it('refuses a token with any character changed', () => {
    const token = tokens.issue(grant);
    for (let at = 0; at < token.length; at += 7) {
      expect(tokens.read(altered(token, at))).toBeUndefined();
    }
    expect(tokens.read(token.slice(0, -1))).toBeUndefined();
    expect(tokens.read(`${token}A`)).toBeUndefined();
  });

  it('refuses forged tokens and what is not a token', () => {
    const random = Buffer.alloc(120, 7).toString('base64url');
    for (const forged of [
      random,
      `A${random}`,
      '',
      'not a token',
      'AQ',
      'x'.repeat(5000),
      Buffer.from(JSON.stringify({ v: 1, ...grant }), 'utf8').toString(
        'base64url',
      ),
    ]) {
      expect(tokens.read(forged)).toBeUndefined();
    }
  });

  it('refuses a token once it expired, after the configured lifetime', () => {
    const issuedAt = new Date('2026-12-01T00:00:00Z');
    const token = tokens.issue(grant, issuedAt);
    expect(
      tokens.read(token, new Date(issuedAt.getTime() + 59 * DAY_MS)),
    ).toEqual(grant);
    expect(
      tokens.read(token, new Date(issuedAt.getTime() + 60 * DAY_MS)),
    ).toBeUndefined();

    const shortLived = tokensFor({ key: KEY, linkLifetime: '2h' });
    const short = shortLived.issue(grant, issuedAt);
    expect(
      shortLived.read(short, new Date(issuedAt.getTime() + 3600_000)),
    ).toEqual(grant);
    expect(
      shortLived.read(short, new Date(issuedAt.getTime() + 2 * 3600_000)),
    ).toBeUndefined();
  });

  it('refuses a token of another key, and reads those of a previous key', () => {
    const other = tokensFor({ key: NEW_KEY });
    expect(other.read(tokens.issue(grant))).toBeUndefined();

    const rotated = tokensFor({ key: NEW_KEY, previousKeys: [KEY] });
    expect(rotated.read(tokens.issue(grant))).toEqual(grant);
    // New links are made with the new key: the old one alone no longer reads them.
    expect(tokens.read(rotated.issue(grant))).toBeUndefined();
    expect(other.read(rotated.issue(grant))).toEqual(grant);
  });

  it('leaves a long description out so that the header stays one line of mail', async () => {
    const long = {
      ...grant,
      list: 'l'.repeat(200),
      description: 'd'.repeat(200),
      address: `${'a'.repeat(64)}@${'b'.repeat(180)}.example.com`,
    };
    const link = await tokens.link(long);
    expect(link.length).toBeLessThanOrEqual(900);
    const { description: _left, ...rest } = long;
    expect(tokens.read(link.slice(link.lastIndexOf('/') + 1))).toEqual(rest);
    expect(tokens.read((await tokens.link(grant)).split('/').pop()!)).toEqual(
      grant,
    );
  });

  it('says at startup when the links are not https', async () => {
    expect(await tokens.startupWarning()).toBeUndefined();
    expect(
      await tokensFor(
        { key: KEY },
        'http://localhost:7007/api/email-provider',
      ).startupWarning(),
    ).toMatch(
      /^One-click unsubscribe links start with http:\/\/localhost:7007\/api\/email-provider, which is not https: RFC 8058 requires https/,
    );
  });
});
