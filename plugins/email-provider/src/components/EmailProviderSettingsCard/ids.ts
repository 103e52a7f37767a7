/** The DOM id of a form field, from its schema path (`smtp.host`). */
export function fieldId(field: string): string {
  return `email-provider-${field.replace(/\./g, '-')}`;
}
