import { generate } from 'selfsigned';
import tls from 'node:tls';

/** A PEM certificate and its private key. */
export type TestCertificate = { cert: string; key: string };

export type TestPki = {
  /** The test CA, trusted once `trustTestCa` ran. */
  ca: TestCertificate;
  /** localhost, 127.0.0.1 and ::1, issued by the test CA. */
  localhost: TestCertificate;
  /** Issued by the test CA for another name, for the name-mismatch case. */
  wrongName: TestCertificate;
  /** Issued by the test CA, expired yesterday. */
  expired: TestCertificate;
  /** Self-signed, trusted by nobody. */
  untrusted: TestCertificate;
};

const DAY = 24 * 60 * 60 * 1000;

async function issue(
  cn: string,
  options: {
    ca?: TestCertificate;
    isCa?: boolean;
    altNames?: Array<{ type: 2; value: string } | { type: 7; ip: string }>;
    notAfter?: Date;
    notBefore?: Date;
  },
): Promise<TestCertificate> {
  const pem = await generate([{ name: 'commonName', value: cn }], {
    keyType: 'ec',
    curve: 'P-256',
    algorithm: 'sha256',
    notBeforeDate: options.notBefore ?? new Date(Date.now() - DAY),
    notAfterDate: options.notAfter ?? new Date(Date.now() + DAY),
    ...(options.ca
      ? { ca: { key: options.ca.key, cert: options.ca.cert } }
      : {}),
    extensions: options.isCa
      ? [
          { name: 'basicConstraints', cA: true, critical: true },
          {
            name: 'keyUsage',
            keyCertSign: true,
            cRLSign: true,
            critical: true,
          },
        ]
      : [
          { name: 'basicConstraints', cA: false },
          { name: 'keyUsage', digitalSignature: true, keyEncipherment: true },
          { name: 'extKeyUsage', serverAuth: true },
          { name: 'subjectAltName', altNames: options.altNames ?? [] },
        ],
  });
  return { cert: pem.cert, key: pem.private };
}

/**
 * A fresh PKI for one test run (smtp-server's built-in certificate has expired, and a committed
 * one would too).
 */
export async function createTestPki(): Promise<TestPki> {
  const ca = await issue('Email provider test CA', { isCa: true });
  return {
    ca,
    localhost: await issue('localhost', {
      ca,
      altNames: [
        { type: 2, value: 'localhost' },
        { type: 7, ip: '127.0.0.1' },
        { type: 7, ip: '::1' },
      ],
    }),
    wrongName: await issue('mail.other.example', {
      ca,
      altNames: [{ type: 2, value: 'mail.other.example' }],
    }),
    expired: await issue('localhost', {
      ca,
      altNames: [{ type: 2, value: 'localhost' }],
      notBefore: new Date(Date.now() - 3 * DAY),
      notAfter: new Date(Date.now() - DAY),
    }),
    untrusted: await issue('localhost', {
      altNames: [{ type: 2, value: 'localhost' }],
    }),
  };
}

/**
 * Trusts the test CA in this process the way NODE_EXTRA_CA_CERTS trusts a private CA in
 * production: as an addition to Node's default store, for every TLS connection that does not
 * bring its own. The product code runs unchanged.
 */
export function trustTestCa(pki: TestPki): () => void {
  const before = tls.getCACertificates('default');
  tls.setDefaultCACertificates([...before, pki.ca.cert]);
  return () => tls.setDefaultCACertificates(before);
}
