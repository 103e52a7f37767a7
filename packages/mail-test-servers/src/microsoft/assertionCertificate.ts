import {
  constants as cryptoConstants,
  createHash,
  verify as verifySignature,
  X509Certificate,
} from 'node:crypto';
import type { MicrosoftFakeSettings } from './settings';

export type ParsedJwt = {
  header: Record<string, unknown>;
  payload: Record<string, unknown>;
  signingInput: string;
  signature: Buffer;
};

export function parseJwt(token: string): ParsedJwt | undefined {
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
export function namedThumbprint(
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

export function thumbprint(
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
export function trustedBySubject(
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

export function hasValidSignature(
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
