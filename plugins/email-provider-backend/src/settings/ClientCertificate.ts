import {
  createHash,
  createPrivateKey,
  KeyObject,
  X509Certificate,
} from 'node:crypto';
import { FieldInputError } from './FieldInputError';

const FIELD = 'microsoft365.clientCertificatePem';
const CERTIFICATE_BLOCK =
  /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;
const PRIVATE_KEY_BLOCK =
  /-----BEGIN (?:RSA |EC )?PRIVATE KEY-----[\s\S]+?-----END (?:RSA |EC )?PRIVATE KEY-----/;

function certificateProblem(message: string): FieldInputError {
  return new FieldInputError([{ field: FIELD, message }]);
}

/**
 * What may be shown and stored in clear about a Microsoft 365 client certificate: the admin
 * matches the thumbprint against the one Entra lists for the app.
 */
export type CertificateInfo = {
  /** SHA-1, upper-case hex, as Entra's Certificates & secrets page lists it. */
  thumbprint: string;
  /** SHA-256, hex, what MSAL puts in the client assertion's `x5t#S256` header. */
  thumbprintSha256: string;
  subject: string;
  notBefore: string;
  notAfter: string;
};

/** A certificate and its private key, parsed from the PEM an admin pasted. */
export type ClientCertificate = CertificateInfo & {
  privateKey: KeyObject;
  /** The certificate chain, leaf first, PEM, for the assertion's `x5c` header. */
  chain: string[];
};

/**
 * Parses a certificate-and-private-key PEM and checks what can be checked before Entra sees it:
 * that it parses, that the key belongs to the certificate, and (with `now`) that it is valid
 * today. Throws a FieldInputError naming the field; the message never contains key material.
 */
export function parseClientCertificate(
  pem: string,
  options: { now?: Date } = {},
): ClientCertificate {
  const chain = pem.match(CERTIFICATE_BLOCK) ?? [];
  const keyBlock = PRIVATE_KEY_BLOCK.exec(pem)?.[0];
  const [leaf] = chain;
  if (!leaf || !keyBlock) {
    throw certificateProblem(
      `paste the certificate and its private key, both PEM (-----BEGIN CERTIFICATE----- and -----BEGIN PRIVATE KEY-----)`,
    );
  }
  let certificate: X509Certificate;
  try {
    certificate = new X509Certificate(leaf);
  } catch {
    throw certificateProblem(
      `the certificate is not a valid X.509 certificate`,
    );
  }
  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey(keyBlock);
  } catch {
    throw certificateProblem(
      `the private key cannot be read; export it unencrypted, PEM`,
    );
  }
  // MSAL signs the client assertion with PS256, and Entra takes RSA keys of 2048 bits or more.
  const bits = privateKey.asymmetricKeyDetails?.modulusLength ?? 0;
  if (privateKey.asymmetricKeyType !== 'rsa' || bits < 2048) {
    throw certificateProblem(
      `the certificate needs an RSA key of 2048 bits or more (Microsoft Entra signs in apps with RSA); create an RSA certificate`,
    );
  }
  if (!certificate.checkPrivateKey(privateKey)) {
    throw certificateProblem(
      `the private key does not belong to the certificate (the first certificate in the text must be the app's own)`,
    );
  }
  const notBefore = new Date(certificate.validFrom);
  const notAfter = new Date(certificate.validTo);
  if (options.now && notAfter.getTime() <= options.now.getTime()) {
    throw certificateProblem(
      `the certificate expired on ${notAfter.toISOString()}; upload a new one to the app in Entra and paste it here`,
    );
  }
  if (options.now && notBefore.getTime() > options.now.getTime()) {
    throw certificateProblem(
      `the certificate is not valid before ${notBefore.toISOString()}`,
    );
  }
  return {
    thumbprint: certificate.fingerprint.replace(/:/g, '').toUpperCase(),
    thumbprintSha256: createHash('sha256')
      .update(certificate.raw)
      .digest('hex'),
    subject: certificate.subject.replace(/\n/g, ', '),
    notBefore: notBefore.toISOString(),
    notAfter: notAfter.toISOString(),
    privateKey,
    chain,
  };
}

/** The parts of a parsed certificate that may be stored and shown. */
export function certificateInfo(
  certificate: ClientCertificate,
): CertificateInfo {
  const { thumbprint, thumbprintSha256, subject, notBefore, notAfter } =
    certificate;
  return { thumbprint, thumbprintSha256, subject, notBefore, notAfter };
}
