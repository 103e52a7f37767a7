import { randomBytes, randomUUID } from 'node:crypto';

/** How the fake Microsoft Entra and Graph behave; every field can change between tests. */
export type MicrosoftFakeSettings = {
  /** The app registration the token endpoint knows. */
  tenantId: string;
  clientId: string;
  clientSecret: string;
  /** The secret is right but past its end date (AADSTS7000222). */
  secretExpired: boolean;
  /**
   * Certificates (PEM, public part only) uploaded to the app under Certificates & secrets. A
   * client assertion signed with the private key of one of them is accepted while it is valid.
   */
  certificates: string[];
  /**
   * Subject name and issuer trust ("SNI"): a certificate with this subject, issued by this CA
   * (PEM), is accepted without being uploaded, when the assertion carries it in `x5c`.
   */
  trustedCertificateSubjects: Array<{ subjectName: string; issuer: string }>;
  /**
   * Application roles granted with admin consent, put in every token: Mail.Send for sendMail
   * and a draft's send, Mail.ReadWrite for drafts, their attachments and upload sessions.
   */
  roles: string[];
  /** Users and shared mailboxes of the tenant with an Exchange Online mailbox. */
  mailboxes: string[];
  /** Users of the tenant without an Exchange Online mailbox (unlicensed, or on-premises). */
  mailboxesNotEnabled: string[];
  /** Mailboxes an Exchange application access policy keeps from this app. */
  mailboxesExcludedByPolicy: string[];
  /** How long each sendMail request takes, to measure concurrency or trip a timeout. */
  sendMailDelayMs: number;
  /** How long each upload chunk takes, to measure concurrency. */
  uploadDelayMs: number;
};

/** A fresh app registration (new IDs, a secret in Entra's shape) with one mailbox. */
export function initialSettings(
  overrides: Partial<MicrosoftFakeSettings>,
): MicrosoftFakeSettings {
  return {
    tenantId: randomUUID(),
    clientId: randomUUID(),
    clientSecret: `${randomBytes(3).toString('hex')}8Q~${randomBytes(
      27,
    ).toString('base64url')}`,
    secretExpired: false,
    certificates: [],
    trustedCertificateSubjects: [],
    roles: ['Mail.Send'],
    mailboxes: ['reports@contoso.onmicrosoft.com'],
    mailboxesNotEnabled: [],
    mailboxesExcludedByPolicy: [],
    sendMailDelayMs: 0,
    uploadDelayMs: 0,
    ...overrides,
  };
}
