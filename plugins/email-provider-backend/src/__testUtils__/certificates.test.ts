import https from 'node:https';
import { AddressInfo } from 'node:net';
import { createTestPki, trustTestCa } from './certificates';

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
