import {
  EmailProviderSettings,
  MANAGED_SETTINGS_CONFIG_KEY,
} from '@email-provider/backstage-plugin-email-provider-common';
import type { TranslationFunction } from '@backstage/frontend-plugin-api';
import type { emailProviderTranslationRef } from '../../translation';

/** How many days ahead of its expiry the page starts warning about a credential. */
export const EXPIRY_WARNING_DAYS = 30;

/** When the Microsoft 365 credential in use expires, as the page tells admins. */
export type CredentialExpiry = {
  credential: 'secret' | 'certificate';
  /** The day it expires, `YYYY-MM-DD` (UTC, as Entra lists it). */
  day: string;
  /** Calendar days from today to that day: 0 today, negative once it has passed. */
  daysLeft: number;
  status: 'valid' | 'expiring' | 'expired';
};

const DAY_MS = 24 * 60 * 60 * 1000;

/**
 * The expiry of the saved credential (`credentialExpiresAt`), or undefined when it is unknown:
 * another provider, or a client secret whose expiry was not entered.
 */
export function credentialExpiry(
  settings: EmailProviderSettings,
  now: Date = new Date(),
): CredentialExpiry | undefined {
  if (settings.provider !== 'microsoft365') {
    return undefined;
  }
  const { microsoft365 } = settings;
  if (!microsoft365.credentialExpiresAt) {
    return undefined;
  }
  const expiresAt = new Date(microsoft365.credentialExpiresAt);
  if (Number.isNaN(expiresAt.getTime())) {
    return undefined;
  }
  const credential =
    microsoft365.credential === 'certificate' ? 'certificate' : 'secret';
  const expiryDay = Date.UTC(
    expiresAt.getUTCFullYear(),
    expiresAt.getUTCMonth(),
    expiresAt.getUTCDate(),
  );
  // The admin's own today, so that "in 10 days" counts as their calendar does.
  const today = Date.UTC(now.getFullYear(), now.getMonth(), now.getDate());
  const days = Math.round((expiryDay - today) / DAY_MS);
  // A certificate stops working at its notAfter moment; a client secret's expiry is the day
  // Entra lists, which it stays valid on.
  const expired =
    credential === 'certificate'
      ? expiresAt.getTime() <= now.getTime()
      : days < 0;
  // A certificate still valid for a few hours of a day that has begun here but not in UTC.
  const daysLeft = expired ? days : Math.max(days, 0);
  let status: CredentialExpiry['status'] = 'valid';
  if (expired) {
    status = 'expired';
  } else if (daysLeft <= EXPIRY_WARNING_DAYS) {
    status = 'expiring';
  }
  return {
    credential,
    day: new Date(expiryDay).toISOString().slice(0, 10),
    daysLeft,
    status,
  };
}

/** The translation function of the plugin's messages. */
export type EmailProviderTranslate = TranslationFunction<
  typeof emailProviderTranslationRef.T
>;

/**
 * The sentence warning about an expiring or expired credential, saying what to do: renew it in
 * Entra and enter it on the page, or, when the configuration sets it, in the configuration.
 */
export function expiryWarning(
  expiry: CredentialExpiry,
  options: { managed: boolean },
  t: EmailProviderTranslate,
): string {
  const { credential, day, daysLeft, status } = expiry;
  const messages = `page.credentialExpiry.${credential}.${
    options.managed ? 'renewInConfig' : 'renewHere'
  }` as const;
  const configKey = `${MANAGED_SETTINGS_CONFIG_KEY}.microsoft365.${
    credential === 'secret' ? 'clientSecret' : 'clientCertificatePem'
  }`;
  if (status === 'expired') {
    return t(`${messages}.expired`, { day, configKey });
  }
  if (daysLeft === 0) {
    return t(`${messages}.expiresToday`, { day, configKey });
  }
  if (daysLeft === 1) {
    return t(`${messages}.expiresTomorrow`, { day, configKey });
  }
  return t(`${messages}.expiresInDays`, { day, configKey, count: daysLeft });
}
