/*
 * A minimal npm registry on loopback that serves the packed tarballs, the way a pre-release is
 * tried from a private registry (Verdaccio, Artifactory): the fresh portal's yarn asks it for the
 * @email-provider scope only (npmScopes in .yarnrc.yml) and the public registry for everything
 * else. So the READMEs' `yarn add @email-provider/...` lines run exactly as written, and the
 * packages find each other through their real version ranges.
 *
 * Root `resolutions` to the tarballs (file:...tgz) are not enough for that: `yarn add NAME` with
 * no range asks the registry for NAME's latest version before any resolution applies, and the
 * public registry answers 404 for packages that are not published yet.
 */
import { execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import { AddressInfo } from 'node:net';
import path from 'node:path';

export type Tarball = { file: string; manifest: Record<string, unknown> };

/** The tarballs of a folder by package name, with the package.json inside each. */
export function readTarballs(dir: string): Map<string, Tarball[]> {
  const byName = new Map<string, Tarball[]>();
  if (!fs.existsSync(dir)) {
    return byName;
  }
  for (const name of fs.readdirSync(dir)) {
    if (!name.endsWith('.tgz')) {
      continue;
    }
    const file = path.join(dir, name);
    const manifest = JSON.parse(
      execFileSync('tar', ['-xzOf', file, 'package/package.json'], {
        encoding: 'utf8',
      }),
    );
    byName.set(manifest.name, [
      ...(byName.get(manifest.name) ?? []),
      { file, manifest },
    ]);
  }
  return byName;
}

function packument(name: string, tarballs: Tarball[], baseUrl: string) {
  const versions: Record<string, unknown> = {};
  const time: Record<string, string> = {};
  for (const { file, manifest } of tarballs) {
    const content = fs.readFileSync(file);
    const version = String(manifest.version);
    versions[version] = {
      ...manifest,
      dist: {
        tarball: `${baseUrl}/-/${encodeURIComponent(path.basename(file))}`,
        shasum: crypto.createHash('sha1').update(content).digest('hex'),
        integrity: `sha512-${crypto
          .createHash('sha512')
          .update(content)
          .digest('base64')}`,
      },
    };
    time[version] = fs.statSync(file).mtime.toISOString();
  }
  const latest = Object.keys(versions).sort().pop();
  return { name, 'dist-tags': { latest }, versions, time };
}

export async function startRegistry(tarballDir: string) {
  let baseUrl = '';
  const server = http.createServer((req, res) => {
    const url = decodeURIComponent(req.url ?? '/');
    // Read again on every request: the tarballs are packed after the registry starts.
    const tarballs = readTarballs(tarballDir);
    if (url.startsWith('/-/')) {
      const file = path.join(tarballDir, path.basename(url.slice(3)));
      if (file.endsWith('.tgz') && fs.existsSync(file)) {
        res.writeHead(200, { 'Content-Type': 'application/octet-stream' });
        fs.createReadStream(file).pipe(res);
        return;
      }
    } else {
      const name = url.slice(1);
      const found = tarballs.get(name);
      if (found) {
        res.writeHead(200, { 'Content-Type': 'application/json' });
        res.end(JSON.stringify(packument(name, found, baseUrl)));
        return;
      }
    }
    res.writeHead(404, { 'Content-Type': 'application/json' });
    res.end(JSON.stringify({ error: 'Not found' }));
  });
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url: baseUrl,
    close: () => new Promise(resolve => server.close(resolve)),
  };
}
