import { Config } from '@backstage/config';
import type { ActiveProvider } from '../settings/SettingsService';
import { DestinationGuard } from './DestinationGuard';
import { Microsoft365Provider } from './microsoft365/Microsoft365Provider';
import { MsalClientCache } from './microsoft365/MsalClientCache';
import { SmtpProvider, SmtpTimeouts } from './smtp/SmtpProvider';
import { MailProvider } from './types';

const DEFAULT_AUTHORITY_HOST = 'https://login.microsoftonline.com';
const DEFAULT_GRAPH_BASE_URL = 'https://graph.microsoft.com';

/**
 * Builds the provider for the active settings. Microsoft 365 token clients are shared between
 * the providers it builds, so a token is fetched once per lifetime, not per message.
 */
export class MailProviderFactory {
  static fromConfig(config: Config): MailProviderFactory {
    const m365 = config.getOptionalConfig('emailProvider.microsoft365');
    return new MailProviderFactory({
      destinations: DestinationGuard.fromConfig(config),
      authorityHost: (
        m365?.getOptionalString('authorityHost') ?? DEFAULT_AUTHORITY_HOST
      ).replace(/\/+$/, ''),
      graphBaseUrl: (
        m365?.getOptionalString('graphBaseUrl') ?? DEFAULT_GRAPH_BASE_URL
      ).replace(/\/+$/, ''),
    });
  }

  private readonly msalClients = new MsalClientCache();

  constructor(
    readonly options: {
      destinations: DestinationGuard;
      authorityHost: string;
      graphBaseUrl: string;
    },
  ) {}

  get destinations(): DestinationGuard {
    return this.options.destinations;
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
        destinations: this.options.destinations,
        timeouts: tuning.smtpTimeouts,
        pool: tuning.smtpPool,
      });
    }
    return new Microsoft365Provider({
      settings: active.microsoft365,
      clientSecret: active.clientSecret,
      authorityHost: this.options.authorityHost,
      graphBaseUrl: this.options.graphBaseUrl,
      clients: this.msalClients,
    });
  }
}
