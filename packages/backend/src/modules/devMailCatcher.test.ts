import { createBackendPlugin } from '@backstage/backend-plugin-api';
import { mockServices, startTestBackend } from '@backstage/backend-test-utils';
import { ConfigReader } from '@backstage/config';
import net, { AddressInfo } from 'node:net';
import nodemailer from 'nodemailer';
import {
  devMailCatcherModule,
  MailCatcher,
  readMailCatcherConfig,
  startMailCatcher,
} from './devMailCatcher';

async function send(port: number, subject: string, host = '127.0.0.1') {
  const transport = nodemailer.createTransport({
    host,
    port,
    secure: false,
    ignoreTLS: true,
    auth: { user: 'anyone', pass: 'anything' },
  });
  try {
    await transport.sendMail({
      from: '"ACME Portal" <portal@example.com>',
      to: 'ada@example.com',
      subject,
      text: 'Hello from the portal.\nSecond line.',
    });
  } finally {
    transport.close();
  }
}

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise(resolve => server.close(resolve));
  return port;
}

describe('startMailCatcher', () => {
  let catcher: MailCatcher | undefined;
  afterEach(async () => {
    await catcher?.close();
    catcher = undefined;
  });

  it('accepts any login, prints the message and keeps it', async () => {
    const logger = mockServices.logger.mock();
    catcher = await startMailCatcher({ port: 0, logger });
    await send(catcher.port, 'Test email from Backstage administration');

    expect(catcher.received).toEqual([
      expect.objectContaining({
        from: 'portal@example.com',
        to: ['ada@example.com'],
        subject: 'Test email from Backstage administration',
        text: 'Hello from the portal.\nSecond line.\n',
        user: 'anyone',
      }),
    ]);
    const printed = logger.info.mock.calls.map(([message]) => message);
    expect(printed).toEqual([
      [
        'Development mail catcher received a message',
        '  From:    portal@example.com',
        '  To:      ada@example.com',
        '  Subject: Test email from Backstage administration',
        '',
        '  Hello from the portal.',
        '  Second line.',
      ].join('\n'),
    ]);
  });

  it('keeps only the last few messages', async () => {
    catcher = await startMailCatcher({
      port: 0,
      logger: mockServices.logger.mock(),
      keep: 2,
    });
    for (const subject of ['one', 'two', 'three']) {
      await send(catcher.port, subject);
    }
    expect(catcher.received.map(mail => mail.subject)).toEqual([
      'two',
      'three',
    ]);
  });

  it('fails to start on a busy port', async () => {
    catcher = await startMailCatcher({
      port: 0,
      logger: mockServices.logger.mock(),
    });
    await expect(
      startMailCatcher({
        port: catcher.port,
        logger: mockServices.logger.mock(),
      }),
    ).rejects.toThrow(/EADDRINUSE/);
  });
});

describe('readMailCatcherConfig', () => {
  const read = (mailCatcher: unknown) =>
    readMailCatcherConfig(
      new ConfigReader(
        mailCatcher === undefined
          ? {}
          : { emailProvider: { development: { mailCatcher } } },
      ),
    );

  it('is off unless configured', () => {
    expect(read(undefined)).toBeUndefined();
    expect(read(false)).toBeUndefined();
  });

  it('listens on port 1025 unless told otherwise', () => {
    expect(read({})).toEqual({ port: 1025 });
    expect(read({ port: 2525 })).toEqual({ port: 2525 });
  });
});

describe('devMailCatcherModule', () => {
  const emailProviderPlugin = createBackendPlugin({
    pluginId: 'email-provider',
    register(env) {
      env.registerInit({ deps: {}, async init() {} });
    },
  });
  const nodeEnv = process.env.NODE_ENV;
  afterEach(() => {
    process.env.NODE_ENV = nodeEnv;
  });

  it('starts the catcher with the portal in development', async () => {
    process.env.NODE_ENV = 'development';
    const port = await freePort();
    const backend = await startTestBackend({
      features: [
        emailProviderPlugin,
        devMailCatcherModule,
        mockServices.rootConfig.factory({
          data: { emailProvider: { development: { mailCatcher: { port } } } },
        }),
      ],
    });
    try {
      await expect(send(port, 'hello')).resolves.toBeUndefined();
    } finally {
      await backend.stop();
    }
    await expect(send(port, 'after stop')).rejects.toThrow(/ECONNREFUSED/);
  });

  it('never starts outside development', async () => {
    process.env.NODE_ENV = 'production';
    const port = await freePort();
    const backend = await startTestBackend({
      features: [
        emailProviderPlugin,
        devMailCatcherModule,
        mockServices.rootConfig.factory({
          data: { emailProvider: { development: { mailCatcher: { port } } } },
        }),
      ],
    });
    try {
      await expect(send(port, 'hello')).rejects.toThrow(/ECONNREFUSED/);
    } finally {
      await backend.stop();
    }
  });
});
