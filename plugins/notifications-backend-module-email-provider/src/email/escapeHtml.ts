import escapeHtmlText from 'escape-html';

/**
 * The text with `&`, `<`, `>`, `"` and `'` written as HTML entities, so that it shows as text in
 * an HTML body or attribute. Notification titles, descriptions and links come from other plugins
 * and from users: a template must pass every such value through this before putting it in HTML.
 *
 * @public
 */
export function escapeHtml(text: string): string {
  return escapeHtmlText(text);
}
