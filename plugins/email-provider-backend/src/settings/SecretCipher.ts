import { Config } from '@backstage/config';
import {
  createCipheriv,
  createDecipheriv,
  createHash,
  hkdfSync,
  randomBytes,
} from 'node:crypto';

const FORMAT = 'v1';
const IV_BYTES = 12;
const TAG_BYTES = 16;
const MIN_KEY_LENGTH = 32;
// The development config ships a key so the portal starts as it is; a production config layered
// on top falls back to it when its own key is missing, so production refuses it.
const DEVELOPMENT_KEY_PREFIX = 'development-only';

/** @internal */
export const ENCRYPTION_KEY_CONFIG = 'emailProvider.encryption.key';
const PREVIOUS_KEYS_CONFIG = 'emailProvider.encryption.previousKeys';

type DerivedKey = { id: string; key: Buffer };

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
 * Each ciphertext is bound to a context (the provider it belongs to) as additional authenticated
 * data, so a ciphertext copied into another provider's row does not decrypt.
 *
 * @internal
 */
export class SecretCipher {
  static fromConfig(config: Config): SecretCipher {
    const current = config.getOptionalString(ENCRYPTION_KEY_CONFIG);
    if (!current) {
      throw new Error(
        `The email-provider plugin needs ${ENCRYPTION_KEY_CONFIG} to encrypt the credentials admins save. ` +
          `Set it to a random secret of at least ${MIN_KEY_LENGTH} characters (\`openssl rand -base64 32\`), ` +
          `for example through EMAIL_PROVIDER_ENCRYPTION_KEY as app-config.production.yaml does.`,
      );
    }
    if (
      process.env.NODE_ENV === 'production' &&
      current.startsWith(DEVELOPMENT_KEY_PREFIX)
    ) {
      throw new Error(
        `${ENCRYPTION_KEY_CONFIG} is the development key from app-config.yaml; in production set a key of your own, ` +
          `for example through EMAIL_PROVIDER_ENCRYPTION_KEY with the output of \`openssl rand -base64 32\`.`,
      );
    }
    const previous = config.getOptionalStringArray(PREVIOUS_KEYS_CONFIG) ?? [];
    return new SecretCipher(
      deriveKey(current, ENCRYPTION_KEY_CONFIG),
      previous.map((key, index) =>
        deriveKey(key, `${PREVIOUS_KEYS_CONFIG}[${index}]`),
      ),
    );
  }

  private constructor(
    private readonly current: DerivedKey,
    private readonly previous: DerivedKey[],
  ) {}

  encrypt(plaintext: string, context: string): string {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.current.key, iv, {
      authTagLength: TAG_BYTES,
    });
    cipher.setAAD(Buffer.from(context, 'utf8'));
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

  decrypt(ciphertext: string, context: string): string {
    const [format, keyId, iv, tag, body] = ciphertext.split('.');
    if (format !== FORMAT || body === undefined) {
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
    decipher.setAAD(Buffer.from(context, 'utf8'));
    decipher.setAuthTag(Buffer.from(tag, 'base64url'));
    try {
      return Buffer.concat([
        decipher.update(Buffer.from(body, 'base64url')),
        decipher.final(),
      ]).toString('utf8');
    } catch {
      throw new Error(
        'The saved secret failed its integrity check; it was altered or belongs to another provider',
      );
    }
  }
}
