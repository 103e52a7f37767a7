import { InputError } from '@backstage/errors';
import {
  formatFieldIssues,
  SettingsFieldIssue,
} from '@email-provider/backstage-plugin-email-provider-common';

/**
 * A 400 that names the offending fields. It is an `InputError` (same name, so the error
 * middleware answers 400 and clients recognise it), whose `issues`, an own enumerable property,
 * `serializeError` copies into the answer's `error`: the form marks each field from them, while
 * the English `message` (`smtp.port: …; smtp.from: …`) stays for people and older clients.
 */
export class FieldInputError extends InputError {
  readonly issues: SettingsFieldIssue[];

  constructor(
    issues: SettingsFieldIssue[],
    message = formatFieldIssues(issues),
  ) {
    super(message);
    this.issues = issues;
  }

  /**
   * The same problems with each field under `prefix` (`settings.` for the draft in `/verify`),
   * so that a field is always the path in the request body; the message is kept as it was
   * worded, which clients and people have been reading.
   */
  under(prefix: string): FieldInputError {
    return new FieldInputError(
      this.issues.map(issue => ({
        ...issue,
        field: `${prefix}${issue.field}`,
      })),
      this.message,
    );
  }
}
