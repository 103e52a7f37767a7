export type { EmailService } from './EmailService';
export {
  DefaultEmailService,
  type DefaultEmailServiceOptions,
} from './DefaultEmailService';
export { attachment } from './attachment';
export { emailServiceRef } from './emailServiceRef';
