import { CustomErrorBase } from '@backstage/errors';
import type {
  EmailFailure,
  EmailFailureCode,
} from '@internal/plugin-email-provider-common';

/**
 * A provider refused or could not take a message, classified for the admin: the code, a sentence
 * saying what to change, whether a later attempt may succeed, and the provider's reply with any
 * credential removed.
 */
export class ProviderError extends CustomErrorBase {
  name = 'ProviderError' as const;
  readonly code: EmailFailureCode;
  readonly transient: boolean;
  readonly providerReply?: string;
  readonly retryAfterMs?: number;

  constructor(failure: EmailFailure) {
    super(failure.message);
    this.code = failure.code;
    this.transient = failure.transient;
    this.providerReply = failure.providerReply;
    this.retryAfterMs = failure.retryAfterMs;
  }

  toFailure(): EmailFailure {
    return {
      code: this.code,
      message: this.message,
      transient: this.transient,
      ...(this.providerReply ? { providerReply: this.providerReply } : {}),
      ...(this.retryAfterMs !== undefined
        ? { retryAfterMs: this.retryAfterMs }
        : {}),
    };
  }
}

/**
 * Removes credentials from a provider's reply before it is kept or shown: the secrets themselves
 * (and their base64 forms, as SMTP AUTH sends them), and anything that looks like a bearer token.
 */
export function redact(reply: string, secrets: string[]): string {
  let text = reply;
  for (const secret of secrets.filter(s => s.length >= 4)) {
    for (const form of [
      secret,
      Buffer.from(secret).toString('base64'),
      encodeURIComponent(secret),
    ]) {
      text = text.split(form).join('[redacted]');
    }
  }
  return text
    .replace(/\beyJ[\w-]+\.[\w-]+\.[\w-]*/g, '[redacted token]')
    .replace(/(Bearer\s+)\S+/gi, '$1[redacted]')
    .slice(0, 2000);
}
