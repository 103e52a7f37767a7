import type { SettingsFieldIssue } from './schema';

/**
 * The `error` of a 400 answer that names fields: Backstage's serialized `InputError`, whose
 * `message` lists every problem in English (`smtp.port: …; smtp.from: …`), with the same problems
 * as data in `issues`. A field is the dotted path of the value in the request body: `smtp.port`
 * in `PUT /settings`, `settings.smtp.port` in `POST /verify`, `body` for the body as a whole.
 *
 * @public
 */
export type FieldInputErrorBody = {
  name: 'InputError';
  message: string;
  issues: SettingsFieldIssue[];
};

/**
 * The problems as one sentence, as the `message` of a 400 answer words them.
 *
 * @public
 */
export function formatFieldIssues(issues: SettingsFieldIssue[]): string {
  return issues.map(i => `${i.field}: ${i.message}`).join('; ');
}

/**
 * The field issues of a serialized error (the `error` of an answer's body, or a deserialized
 * cause), or an empty list when it names no field.
 *
 * @public
 */
export function fieldIssuesOf(error: unknown): SettingsFieldIssue[] {
  const issues = (error as { issues?: unknown } | null | undefined)?.issues;
  if (!Array.isArray(issues)) {
    return [];
  }
  return issues.filter(
    (issue): issue is SettingsFieldIssue =>
      typeof issue?.field === 'string' && typeof issue?.message === 'string',
  );
}
