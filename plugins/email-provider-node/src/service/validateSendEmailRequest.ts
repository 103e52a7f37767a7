import { InputError } from '@backstage/errors';
import {
  SendEmailRequest,
  sendEmailRequestSchema,
} from '@email-provider/backstage-plugin-email-provider-common';

/**
 * Checks a request with the same schema as the backend and throws an `InputError` that names
 * every offending field, such as `to.0: to must be a single plain address ...`.
 */
export function validateSendEmailRequest(request: unknown): SendEmailRequest {
  const result = sendEmailRequestSchema.safeParse(request);
  if (!result.success) {
    const problems = result.error.issues.map(
      issue => `${issue.path.join('.') || 'request'}: ${issue.message}`,
    );
    throw new InputError(`Invalid email request: ${problems.join('; ')}`);
  }
  return result.data;
}
