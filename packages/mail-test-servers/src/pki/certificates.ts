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

/**
 * A Microsoft Entra app's certificate credential: `cert` is what is uploaded to the app (its
 * public part), `pem` what an admin pastes into the portal (the certificate, any issuing CA
 * certificates, then the private key).
 */
export type AppCertificate = TestCertificate & { pem: string };

/**
 * A client certificate for an app registration, RSA as Entra's client assertions need, valid
 * from yesterday for a year unless dates are given. With `issuer` (an RSA CA from
 * `createAppCertificateAuthority`) it is issued by that CA, whose certificate follows it in `pem`;
 * otherwise it is self-signed, as most app certificates are.
 */
export async function createAppCertificate(
  options: {
    cn?: string;
    notBefore?: Date;
    notAfter?: Date;
    issuer?: TestCertificate;
    keyType?: 'rsa' | 'ec';
  } = {},
): Promise<AppCertificate> {
  const keyType = options.keyType ?? 'rsa';
  const generated = await generate(
    [
      {
        name: 'commonName',
        value: options.cn ?? 'backstage-email.contoso.com',
      },
    ],
    {
      keyType,
      ...(keyType === 'rsa' ? { keySize: 2048 } : { curve: 'P-256' as const }),
      algorithm: 'sha256',
      notBeforeDate: options.notBefore ?? new Date(Date.now() - DAY),
      notAfterDate: options.notAfter ?? new Date(Date.now() + 365 * DAY),
      ...(options.issuer
        ? { ca: { key: options.issuer.key, cert: options.issuer.cert } }
        : {}),
      extensions: [
        { name: 'basicConstraints', cA: false },
        { name: 'keyUsage', digitalSignature: true, keyEncipherment: true },
        { name: 'extKeyUsage', clientAuth: true },
      ],
    },
  );
  const chain = [
    generated.cert,
    ...(options.issuer ? [options.issuer.cert] : []),
  ];
  return {
    cert: generated.cert,
    key: generated.private,
    pem: [...chain, generated.private].map(block => block.trim()).join('\n'),
  };
}

/** An RSA CA to issue app certificates from, as a company's own PKI would for subject name trust. */
export async function createAppCertificateAuthority(
  cn = 'Contoso Issuing CA',
): Promise<TestCertificate> {
  const generated = await generate([{ name: 'commonName', value: cn }], {
    keyType: 'rsa',
    keySize: 2048,
    algorithm: 'sha256',
    notBeforeDate: new Date(Date.now() - DAY),
    notAfterDate: new Date(Date.now() + 365 * DAY),
    extensions: [
      { name: 'basicConstraints', cA: true, critical: true },
      { name: 'keyUsage', keyCertSign: true, cRLSign: true, critical: true },
    ],
  });
  return { cert: generated.cert, key: generated.private };
}
