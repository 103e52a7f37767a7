import { resolvePackagePath } from '@backstage/backend-plugin-api';
import fs from 'node:fs';
import path from 'node:path';
import { SMTP_POOL_THREAD_WORKER } from './smtpPoolThreadFiles';

const packageDir = resolvePackagePath(
  '@email-provider/backstage-plugin-email-provider-backend',
);

describe('the SMTP pool thread files', () => {
  it('are found in the package and published with it', () => {
    expect(SMTP_POOL_THREAD_WORKER).toBe(
      path.join(packageDir, 'smtpPoolThread', 'worker.js'),
    );
    expect(fs.existsSync(SMTP_POOL_THREAD_WORKER)).toBe(true);
    const { files } = JSON.parse(
      fs.readFileSync(path.join(packageDir, 'package.json'), 'utf8'),
    ) as { files: string[] };
    const published = files.flatMap(pattern =>
      fs.globSync(pattern, { cwd: packageDir }),
    );
    // worker.js and every file it requires: the thread loads them from the installed package.
    const threadFiles = fs
      .readdirSync(path.join(packageDir, 'smtpPoolThread'))
      .map(file => path.join('smtpPoolThread', file));
    expect(threadFiles).toContain(path.join('smtpPoolThread', 'worker.js'));
    expect(published).toEqual(expect.arrayContaining(threadFiles));
  });
});
