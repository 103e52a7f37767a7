import { resolvePackagePath } from '@backstage/backend-plugin-api';
import path from 'node:path';
import type * as ConnectSocketFile from '../../../smtpPoolThread/connectSocket';

/**
 * The SMTP code the pool thread runs, plain JavaScript files of the package (listed in its
 * `files`), found the way the migrations are: from the sources, the built package and an
 * installed one alike. A worker runs with plain Node, so this code cannot be TypeScript or part
 * of the bundle.
 */
const folder = resolvePackagePath(
  '@email-provider/backstage-plugin-email-provider-backend',
  'smtpPoolThread',
);

/** The pool thread's entry point. */
export const SMTP_POOL_THREAD_WORKER = path.join(folder, 'worker.js');

/** Connecting within a timeout: the very code the pool thread runs, on the main thread too. */
export const { connectSocket }: typeof ConnectSocketFile = require(path.join(
  folder,
  'connectSocket.js',
));
