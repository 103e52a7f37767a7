import { LoggerService } from '@backstage/backend-plugin-api';
import { Config } from '@backstage/config';
import type { ActiveProvider } from '../settings/SettingsService';
import { DestinationGuard } from './DestinationGuard';
import { Microsoft365Provider } from './microsoft365/Microsoft365Provider';
import { MsalClientCache } from './microsoft365/MsalClientCache';
import { microsoftEndpoints } from './microsoft365/microsoftClouds';
import type { SmtpTimeouts } from './smtp/SmtpConnection';
import { SmtpProvider } from './smtp/SmtpProvider';
import { readSmtpEhloName } from './smtp/smtpEhloName';
import type { MessageSize } from './messageSize';
import { MailProvider, MessageSizeRule } from './types';

/** Each provider type's rules, which hold before a provider is built. */
const PROVIDER_TYPES: Record<
  MailProvider['type'],
  { refuseSize: MessageSizeRule }
> = {
  smtp: SmtpProvider,
  microsoft365: Microsoft365Provider,
};

/**
 * Builds the provider for the active settings. Microsoft 365 token clients are shared between
 * the providers it builds, so a token is fetched once per lifetime, not per message.
 */
export class MailProviderFactory {
  static fromConfig(
    config: Config,
    logger?: LoggerService,
  ): MailProviderFactory {
    const m365 = config.getOptionalConfig('emailProvider.microsoft365');
    return new MailProviderFactory({
      logger,
      destinations: DestinationGuard.fromConfig(config),
      smtpEhloName: readSmtpEhloName(config),
      authorityHost: m365?.getOptionalString('authorityHost'),
      graphBaseUrl: m365?.getOptionalString('graphBaseUrl'),
    });
  }

  private readonly msalClients = new MsalClientCache();

  constructor(
    readonly options: {
      destinations: DestinationGuard;
      /** The name SMTP gives in EHLO; nodemailer's default unless set. */
      smtpEhloName?: string;
      /** Overrides the Microsoft Entra host of every cloud (proxies, test doubles). */
      authorityHost?: string;
      /** Overrides the Microsoft Graph base URL of every cloud. */
      graphBaseUrl?: string;
      /** Where providers say what they did differently from the usual, such as a dropped header. */
      logger?: LoggerService;
    },
  ) {}

  get destinations(): DestinationGuard {
    return this.options.destinations;
  }

  /**
   * Why the active provider cannot take a message of this size, if it cannot: for the outbox to
   * refuse it at enqueue, without building a provider.
   */
  refuseSize(
    active: { provider: MailProvider['type']; largeMessages?: boolean },
    size: MessageSize,
  ): string | undefined {
    return PROVIDER_TYPES[active.provider].refuseSize(size, active);
  }

  create(
    active: ActiveProvider,
    tuning: {
      smtpTimeouts?: Partial<SmtpTimeouts>;
      /** Keep SMTP connections open between messages, for bulk delivery. */
      smtpPool?: { maxConnections: number };
    } = {},
  ): MailProvider {
    if (active.provider === 'smtp') {
      return new SmtpProvider({
        settings: active.smtp,
        password: active.password,
        ehloName: this.options.smtpEhloName,
        destinations: this.options.destinations,
        timeouts: tuning.smtpTimeouts,
        pool: tuning.smtpPool,
      });
    }
    return new Microsoft365Provider({
      settings: active.microsoft365,
      clientSecret: active.clientSecret,
      clientCertificatePem: active.clientCertificatePem,
      ...microsoftEndpoints(active.microsoft365.cloud, this.options),
      clients: this.msalClients,
      logger: this.options.logger,
    });
  }
}
