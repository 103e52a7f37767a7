/*
 * One backend instance's delivery worker in a process of its own, for the fault tests that kill
 * a process or run several against one PostgreSQL. Configured through DELIVERY_PROCESS_CONFIG
 * (JSON: the knex connection, the encryption key and delivery options); trusts the test CA
 * through NODE_EXTRA_CA_CERTS, as a production backend would a private CA.
 */
import { LoggerService } from '@backstage/backend-plugin-api';
import { ConfigReader } from '@backstage/config';
import knexFactory from 'knex';
import { DatabaseOutboxStore } from '../delivery/DatabaseOutboxStore';
import { DeliveryOptions } from '../delivery/DeliveryOptions';
import { OutboxWorker } from '../delivery/OutboxWorker';
import { DestinationGuard } from '../providers/DestinationGuard';
import { MailProviderFactory } from '../providers/MailProviderFactory';
import { DatabaseSettingsStore } from '../settings/DatabaseSettingsStore';
import { SecretCipher } from '../settings/SecretCipher';
import { SettingsService } from '../settings/SettingsService';

export type DeliveryProcessConfig = {
  connection: object;
  encryptionKey: string;
  options: DeliveryOptions;
};

const config: DeliveryProcessConfig = JSON.parse(
  process.env.DELIVERY_PROCESS_CONFIG ?? '{}',
);
const logger: LoggerService = {
  error: (message, meta) => console.error(message, meta ?? ''),
  warn: (message, meta) => console.warn(message, meta ?? ''),
  info: () => undefined,
  debug: () => undefined,
  child: () => logger,
};
const knex = knexFactory({ client: 'pg', connection: config.connection });
const worker = new OutboxWorker({
  store: new DatabaseOutboxStore(knex),
  settings: new SettingsService(
    new DatabaseSettingsStore(knex),
    SecretCipher.fromConfig(
      new ConfigReader({
        emailProvider: { encryption: { key: config.encryptionKey } },
      }),
    ),
  ),
  providers: new MailProviderFactory({
    destinations: new DestinationGuard(),
    authorityHost: 'https://login.microsoftonline.com',
    graphBaseUrl: 'https://graph.microsoft.com',
  }),
  logger,
  options: config.options,
});
worker.start();
process.stdout.write('ready\n');
process.on('SIGTERM', () => {
  worker.stop().then(() => knex.destroy().then(() => process.exit(0)));
});
