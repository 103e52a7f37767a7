export { CredentialExpiryAlert } from './CredentialExpiryAlert';
export {
  credentialExpiry,
  EXPIRY_WARNING_DAYS,
  expiryWarning,
} from './credentialExpiry';
export type { CredentialExpiry } from './credentialExpiry';
export { useCredentialExpiry } from './useCredentialExpiry';
