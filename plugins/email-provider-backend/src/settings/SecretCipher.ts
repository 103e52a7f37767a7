import { LoggerService } from '@backstage/backend-plugin-api';
import { Config } from '@backstage/config';
import {
  createCipheriv,
  createDecipheriv,
  createHash,
  hkdfSync,
  randomBytes,
} from 'node:crypto';

const FORMAT = 'v2';
// Bound to the provider only. Still read, so secrets saved before v2 keep working; the next save
// re-encrypts them as v2.
const PROVIDER_ONLY_FORMAT = 'v1';
const IV_BYTES = 12;
const TAG_BYTES = 16;
const MIN_KEY_LENGTH = 32;
// The development config ships a key so the portal starts as it is. Anyone with the repository
// has it, and a deployment's config layered on top falls back to it when its own key is missing,
// so it is accepted only where the backend runs from source: `backstage-cli package start` sets
// NODE_ENV=development and jest sets test. Everything else, NODE_ENV unset included, is a
// deployment.
const DEVELOPMENT_KEY_PREFIX = 'development-only';
const DEVELOPMENT_MODES = ['development', 'test'];

/** @internal */
export const ENCRYPTION_KEY_CONFIG = 'emailProvider.encryption.key';
const PREVIOUS_KEYS_CONFIG = 'emailProvider.encryption.previousKeys';

type DerivedKey = { id: string; key: Buffer };

/**
 * What a ciphertext is bound to: the secret's provider, and the settings that decide where the
 * secret is sent. A ciphertext whose row was edited to point elsewhere no longer decrypts.
 *
 * @internal
 */
export type SecretContext = {
  /** Such as `email-provider/smtp`. */
  provider: string;
  /** Such as the SMTP host, port, security and username, in a fixed order. */
  destination: ReadonlyArray<string | number | boolean>;
};

function additionalData(format: string, context: SecretContext): Buffer {
  return Buffer.from(
    format === PROVIDER_ONLY_FORMAT
      ? context.provider
      : JSON.stringify([context.provider, ...context.destination]),
    'utf8',
  );
}

function deriveKey(secret: string, configKey: string): DerivedKey {
  if (secret.length < MIN_KEY_LENGTH) {
    throw new Error(
      `${configKey} must be at least ${MIN_KEY_LENGTH} characters long; generate one with \`openssl rand -base64 32\``,
    );
  }
  const key = Buffer.from(
    hkdfSync('sha256', secret, '', 'backstage email-provider secrets', 32),
  );
  // The id names the key in each ciphertext so decryption picks the right one; it is a hash of the
  // derived key and says nothing about the key itself.
  const id = createHash('sha256').update(key).digest('hex').slice(0, 12);
  return { id, key };
}

/**
 * Encrypts the provider secrets (SMTP password, Microsoft 365 client secret) for the database
 * with AES-256-GCM. The key comes from config; older keys listed in `previousKeys` still
 * decrypt, so a key can be rotated without losing the saved secret.
 *
 * Each ciphertext is bound to its provider and destination as additional authenticated data, so
 * a ciphertext copied into another provider's row, or left in a row whose server, username,
 * tenant or client was changed in the database, does not decrypt: a secret is never sent where
 * the admin did not enter it for.
 *
 * @internal
 */
export class SecretCipher {
  static fromConfig(
    config: Config,
    options: { logger: LoggerService },
  ): SecretCipher {
    const current = config.getOptionalString(ENCRYPTION_KEY_CONFIG);
    if (!current) {
      throw new Error(
        `The email-provider plugin needs ${ENCRYPTION_KEY_CONFIG} to encrypt the credentials admins save. ` +
          `Set it to a random secret of at least ${MIN_KEY_LENGTH} characters (\`openssl rand -base64 32\`), ` +
          `for example through EMAIL_PROVIDER_ENCRYPTION_KEY as app-config.production.yaml does.`,
      );
    }
    const mode = process.env.NODE_ENV;
    const isDevelopmentKey = current.startsWith(DEVELOPMENT_KEY_PREFIX);
    if (isDevelopmentKey && !DEVELOPMENT_MODES.includes(mode ?? '')) {
      throw new Error(
        `${ENCRYPTION_KEY_CONFIG} is the development key from app-config.yaml, which is accepted only when NODE_ENV is development ` +
          `(it is ${mode ? `"${mode}"` : 'not set'}); set a key of your own, ` +
          `for example through EMAIL_PROVIDER_ENCRYPTION_KEY with the output of \`openssl rand -base64 32\`.`,
      );
    }
    const key = deriveKey(current, ENCRYPTION_KEY_CONFIG);
    if (isDevelopmentKey) {
      options.logger.warn(
        `DEVELOPMENT KEY IN USE: saved email provider secrets are encrypted with the development key from app-config.yaml ` +
          `(${ENCRYPTION_KEY_CONFIG} starts with "${DEVELOPMENT_KEY_PREFIX}", key id ${key.id}), which anyone with the repository has. ` +
          `It is for development only and is refused unless NODE_ENV is development; never save real credentials with it.`,
      );
    }
    const previous = config.getOptionalStringArray(PREVIOUS_KEYS_CONFIG) ?? [];
    return new SecretCipher(
      key,
      previous.map((previousKey, index) =>
        deriveKey(previousKey, `${PREVIOUS_KEYS_CONFIG}[${index}]`),
      ),
    );
  }

  private constructor(
    private readonly current: DerivedKey,
    private readonly previous: DerivedKey[],
  ) {}

  /**
   * Keys for another use of the encryption key, such as hashing recipients, derived so that
   * neither use reveals the other's key: the current key's first, then the previous keys', so
   * what older keys produced can still be matched.
   */
  deriveKeys(purpose: string): Buffer[] {
    return [this.current, ...this.previous].map(({ key }) =>
      Buffer.from(
        hkdfSync('sha256', key, '', `backstage email-provider ${purpose}`, 32),
      ),
    );
  }

  encrypt(plaintext: string, context: SecretContext): string {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.current.key, iv, {
      authTagLength: TAG_BYTES,
    });
    cipher.setAAD(additionalData(FORMAT, context));
    const body = Buffer.concat([
      cipher.update(plaintext, 'utf8'),
      cipher.final(),
    ]);
    return [
      FORMAT,
      this.current.id,
      iv.toString('base64url'),
      cipher.getAuthTag().toString('base64url'),
      body.toString('base64url'),
    ].join('.');
  }

  decrypt(ciphertext: string, context: SecretContext): string {
    const [format, keyId, iv, tag, body] = ciphertext.split('.');
    if (
      (format !== FORMAT && format !== PROVIDER_ONLY_FORMAT) ||
      body === undefined
    ) {
      throw new Error('The saved secret is not in a format this plugin reads');
    }
    const key = [this.current, ...this.previous].find(k => k.id === keyId);
    if (!key) {
      throw new Error(
        `The saved secret was encrypted with a key that is no longer configured (key id ${keyId}); ` +
          `add that key to ${PREVIOUS_KEYS_CONFIG}, or save the provider again with its secret`,
      );
    }
    const decipher = createDecipheriv(
      'aes-256-gcm',
      key.key,
      Buffer.from(iv, 'base64url'),
      { authTagLength: TAG_BYTES },
    );
    decipher.setAAD(additionalData(format, context));
    decipher.setAuthTag(Buffer.from(tag, 'base64url'));
    try {
      return Buffer.concat([
        decipher.update(Buffer.from(body, 'base64url')),
        decipher.final(),
      ]).toString('utf8');
    } catch {
      throw new Error(
        'The saved secret failed its integrity check, so it is not used: it was altered, or the settings that say where it goes ' +
          '(provider, server, port, security, username, tenant or client) were changed outside the portal; ' +
          'enter the secret again and save the provider',
      );
    }
  }
}
