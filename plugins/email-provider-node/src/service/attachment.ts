import { EmailAttachment } from '@email-provider/backstage-plugin-email-provider-common';

/**
 * Builds an attachment for {@link EmailService.send} from its content, base64-encoding it.
 *
 * @remarks
 *
 * A string is encoded as UTF-8. `contentType` is a bare MIME type such as `text/csv` or
 * `application/pdf`, without parameters. Give `options.contentId` to reference the attachment
 * from the HTML body as `<img src="cid:...">`.
 *
 * @example
 *
 * ```ts
 * await email.send({
 *   to: ['team@example.com'],
 *   subject: 'Report',
 *   text: 'The report is attached.',
 *   attachments: [attachment('report.csv', 'text/csv', 'name,count\nweb,3\n')],
 * });
 * ```
 *
 * @public
 */
export function attachment(
  filename: string,
  contentType: string,
  content: Buffer | Uint8Array | string,
  options?: { contentId?: string },
): EmailAttachment {
  const bytes =
    typeof content === 'string'
      ? Buffer.from(content, 'utf8')
      : Buffer.from(content.buffer, content.byteOffset, content.byteLength);
  return {
    filename,
    contentType,
    contentBase64: bytes.toString('base64'),
    ...(options?.contentId !== undefined && { contentId: options.contentId }),
  };
}
