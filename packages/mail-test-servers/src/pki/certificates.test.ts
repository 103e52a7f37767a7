import { createPrivateKey, X509Certificate } from 'node:crypto';
import https from 'node:https';
import { AddressInfo } from 'node:net';
import {
  createAppCertificate,
  createAppCertificateAuthority,
  createTestPki,
  trustTestCa,
} from './certificates';

describe('test PKI', () => {
  it('is trusted by fetch and https once trustTestCa ran, and not before', async () => {
    const pki = await createTestPki();
    const server = https.createServer(pki.localhost, (_req, res) =>
      res.end('ok'),
    );
    await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve));
    const url = `https://localhost:${(server.address() as AddressInfo).port}/`;
    try {
      await expect(fetch(url)).rejects.toThrow();
      const untrust = trustTestCa(pki);
      try {
        expect(await (await fetch(url)).text()).toBe('ok');
      } finally {
        untrust();
      }
    } finally {
      server.close();
    }
  });
});

// The portal's parser (the backend's ClientCertificate) reads this PEM; its own tests cover what
// it refuses. These check that what the fixture makes is what an admin would paste.
const CERTIFICATE_BLOCK =
  /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;

describe('app certificates', () => {
  it('makes the PEM an admin pastes: RSA certificate, issuing CA, then the key that belongs to it', async () => {
    const issuer = await createAppCertificateAuthority();
    const app = await createAppCertificate({
      cn: 'mailer.contoso.com',
      issuer,
    });

    const chain = (app.pem.match(CERTIFICATE_BLOCK) ?? []).map(
      pem => new X509Certificate(pem),
    );
    const key = createPrivateKey(app.pem);

    expect(chain.map(certificate => certificate.subject)).toEqual([
      'CN=mailer.contoso.com',
      'CN=Contoso Issuing CA',
    ]);
    expect(app.pem.trim().endsWith('-----END PRIVATE KEY-----')).toBe(true);
    expect(key.asymmetricKeyType).toBe('rsa');
    expect(key.asymmetricKeyDetails?.modulusLength).toBe(2048);
    expect(chain[0].checkPrivateKey(key)).toBe(true);
    expect(chain[0].verify(chain[1].publicKey)).toBe(true);
    expect(new X509Certificate(app.cert).fingerprint256).toBe(
      chain[0].fingerprint256,
    );
  });

  it('makes an expired one on request', async () => {
    const expired = await createAppCertificate({
      notBefore: new Date(Date.now() - 10 * 86_400_000),
      notAfter: new Date(Date.now() - 86_400_000),
    });

    expect(Date.parse(new X509Certificate(expired.cert).validTo)).toBeLessThan(
      Date.now(),
    );
  });
});
