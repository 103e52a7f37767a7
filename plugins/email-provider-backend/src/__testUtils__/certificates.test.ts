import { X509Certificate } from 'node:crypto';
import https from 'node:https';
import { AddressInfo } from 'node:net';
import { parseClientCertificate } from '../settings/ClientCertificate';
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

describe('app certificates', () => {
  it('makes the PEM an admin pastes: RSA certificate, issuing CA, then the key that belongs to it', async () => {
    const issuer = await createAppCertificateAuthority();
    const app = await createAppCertificate({
      cn: 'mailer.contoso.com',
      issuer,
    });

    const parsed = parseClientCertificate(app.pem, { now: new Date() });

    expect(parsed.subject).toBe('CN=mailer.contoso.com');
    expect(parsed.privateKey.asymmetricKeyType).toBe('rsa');
    expect(parsed.chain.map(pem => new X509Certificate(pem).subject)).toEqual([
      'CN=mailer.contoso.com',
      'CN=Contoso Issuing CA',
    ]);
    expect(
      new X509Certificate(app.cert).verify(
        new X509Certificate(issuer.cert).publicKey,
      ),
    ).toBe(true);
  });

  it('makes an expired one on request', async () => {
    const expired = await createAppCertificate({
      notBefore: new Date(Date.now() - 10 * 86_400_000),
      notAfter: new Date(Date.now() - 86_400_000),
    });

    expect(() =>
      parseClientCertificate(expired.pem, { now: new Date() }),
    ).toThrow(/expired/);
  });
});
