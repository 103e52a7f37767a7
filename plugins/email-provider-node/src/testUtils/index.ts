/**
 * Test helpers for plugins that use `emailServiceRef`.
 *
 * @packageDocumentation
 */

export {
  emailServiceMock,
  type EmailServiceMock,
  type EmailServiceMockOptions,
} from './emailServiceMock';
