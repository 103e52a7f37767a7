export {
  EmailProviderAccessProvider,
  useEmailProviderAccess,
} from './useEmailProviderAccess';
export type { EmailProviderAccessState } from './useEmailProviderAccess';
export { AdminsNote, WhoDecides } from './AdminsNote';
