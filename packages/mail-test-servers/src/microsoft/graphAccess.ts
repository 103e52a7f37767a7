import { GraphRefusal, invalidToken } from './graphRefusals';
import type { MicrosoftFakeSettings } from './settings';
import type { FakeState } from './state';

/** The application roles each kind of request needs, any one of them. */
export const SEND_ROLES = ['Mail.Send'];
export const READ_WRITE_ROLES = ['Mail.ReadWrite'];
export const READ_FOLDER_ROLES = [
  'Mail.ReadBasic.All',
  'Mail.Read',
  'Mail.ReadWrite',
];

/** Checks the bearer token, and that it carries one of the roles the request needs. */
export function checkAuthorization(
  fake: FakeState,
  authorization: string | undefined,
  roles: string[],
): GraphRefusal | undefined {
  const token = /^Bearer (\S+)$/i.exec(authorization ?? '')?.[1];
  if (!token) {
    return invalidToken('Access token is empty.');
  }
  const known = fake.issuedTokens.get(token);
  if (!known) {
    return invalidToken('Access token validation failure.');
  }
  if (known.expiresAt <= Date.now()) {
    return invalidToken('Lifetime validation failed, the token is expired.');
  }
  if (!roles.some(role => known.roles.includes(role))) {
    return {
      status: 403,
      code: 'ErrorAccessDenied',
      message: 'Access is denied. Check credentials and try again.',
    };
  }
  return undefined;
}

/** Checks that the mailbox exists, has Exchange Online and is open to this app. */
export function checkMailbox(
  settings: MicrosoftFakeSettings,
  mailbox: string,
): GraphRefusal | undefined {
  const has = (list: string[]) =>
    list.some(m => m.toLowerCase() === mailbox.toLowerCase());
  if (has(settings.mailboxesNotEnabled)) {
    return {
      status: 404,
      code: 'MailboxNotEnabledForRESTAPI',
      message:
        'The mailbox is either inactive, soft-deleted, or is hosted on-premise.',
    };
  }
  if (!has(settings.mailboxes)) {
    return {
      status: 404,
      code: 'ErrorInvalidUser',
      message: `The requested user '${mailbox}' is invalid.`,
    };
  }
  if (has(settings.mailboxesExcludedByPolicy)) {
    return {
      status: 403,
      code: 'ErrorAccessDenied',
      message: 'Access to OData is disabled.',
    };
  }
  return undefined;
}

/** Graph's answer to a request while a throttle is armed for it. */
export function throttled(
  retryAfter: Record<string, string> | undefined,
): GraphRefusal | undefined {
  return retryAfter
    ? {
        status: 429,
        code: 'ApplicationThrottled',
        message: 'Application is over its MailboxConcurrency limit.',
        headers: retryAfter,
      }
    : undefined;
}
