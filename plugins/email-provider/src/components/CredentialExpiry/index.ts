export { CredentialExpiryAlert } from './CredentialExpiryAlert';
export {
  credentialExpiry,
  describeDaysLeft,
  EXPIRY_WARNING_DAYS,
  expiryWarning,
} from './credentialExpiry';
export type { CredentialExpiry } from './credentialExpiry';
export { useCredentialExpiry } from './useCredentialExpiry';
