import { Microsoft365Settings } from '@email-provider/backstage-plugin-email-provider-common';
import { createHash } from 'node:crypto';
import type { SettingsService } from '../settings/SettingsService';
import { AdminAlert, AdminNotifier } from './AdminNotifier';
import { AlertStore } from './AlertStore';

const DAY_MS = 24 * 3600_000;

/** Days before the expiry when the admins are warned, most urgent last. */
const WARNING_DAYS = [30, 7, 1];

/**
 * Warns the admins when the active provider's credential (a Microsoft 365 client secret or
 * certificate) comes within 30, 7 and 1 days of its expiry, and when it has expired: each once
 * per credential, whichever replica checks, and not again after a restart. A check that finds a
 * credential past several thresholds sends only the most urgent one.
 */
export class CredentialExpiryCheck {
  constructor(
    private readonly deps: {
      settings: SettingsService;
      alerts: AlertStore;
      notifier: AdminNotifier;
    },
  ) {}

  async run(now = new Date()): Promise<void> {
    const { settings } = await this.deps.settings.read();
    if (settings.provider !== 'microsoft365') {
      return;
    }
    const { microsoft365 } = settings;
    if (!microsoft365.credentialExpiresAt) {
      return;
    }
    const expiresAt = new Date(microsoft365.credentialExpiresAt);
    const left = expiresAt.getTime() - now.getTime();
    const threshold =
      left <= 0
        ? 'expired'
        : WARNING_DAYS.filter(days => left <= days * DAY_MS)
            .map(days => `${days}d`)
            .pop();
    if (!threshold) {
      return;
    }
    const credential = credentialId(microsoft365);
    if (
      !(await this.deps.alerts.raise(
        `credential-expiry:${credential}:${threshold}`,
        now,
      ))
    ) {
      return;
    }
    await this.deps.notifier.send(
      expiryAlert(microsoft365, expiresAt, left, credential),
    );
  }
}

/**
 * Names the credential without holding it: the app, and the certificate or the secret's
 * entered expiry. A credential replaced by another (new certificate, new secret with its new
 * expiry) gets its own warnings. Hashed, since a tenant may be a long domain name.
 */
function credentialId(microsoft365: Microsoft365Settings): string {
  return createHash('sha256')
    .update(
      JSON.stringify([
        microsoft365.tenantId,
        microsoft365.clientId,
        microsoft365.certificate?.thumbprint ?? 'secret',
        microsoft365.credentialExpiresAt,
      ]),
    )
    .digest('hex')
    .slice(0, 32);
}

function expiryAlert(
  microsoft365: Microsoft365Settings,
  expiresAt: Date,
  left: number,
  credential: string,
): AdminAlert {
  const certificate = microsoft365.credential === 'certificate';
  const what = certificate
    ? `certificate${
        microsoft365.certificate
          ? ` (thumbprint ${microsoft365.certificate.thumbprint})`
          : ''
      }`
    : 'client secret';
  const app = `app ${microsoft365.clientId} in tenant ${microsoft365.tenantId}, which the portal sends email with as ${microsoft365.from}`;
  const renew = certificate
    ? 'Upload a new certificate to the app in Microsoft Entra ID (App registrations, Certificates & secrets), then paste it with its private key on the Email provider page'
    : 'Create a new client secret for the app in Microsoft Entra ID (App registrations, Certificates & secrets), then enter it with its expiry date on the Email provider page';
  const scope = `email-provider:credential-expiry:${credential}`;
  const on = expiresAt.toISOString();
  if (left <= 0) {
    return {
      title: `The Microsoft 365 ${what} has expired`,
      description: `The ${what} of the ${app}, expired on ${on}. Microsoft 365 refuses it, so no email goes out. ${renew}.`,
      severity: 'high',
      scope,
    };
  }
  const days = Math.ceil(left / DAY_MS);
  return {
    title: `The Microsoft 365 ${what} expires in ${days} ${
      days === 1 ? 'day' : 'days'
    }`,
    description: `The ${what} of the ${app}, expires on ${on}; after that, no email goes out. ${renew} before then.`,
    severity: 'normal',
    scope,
  };
}
