import { z } from 'zod';
import { emailAddressSchema, hasControlCharacters } from './settings/fields';

/** Exchange Online's limit, and a sane one for any SMTP server. */
const MAX_RECIPIENTS = 500;
const MAX_SUBJECT_LENGTH = 998;

const addresses = (field: string) =>
  z
    .array(emailAddressSchema(field), {
      error: `${field} must be a list of addresses`,
    })
    .max(
      MAX_RECIPIENTS,
      `${field} may list at most ${MAX_RECIPIENTS} addresses`,
    );

// Standard base64 is groups of four: the alphabet, with at most two `=` of padding at the end.
// Checked by a loop over a table rather than a regular expression: a repeated group's
// backtracking state overflows the stack on attachments of a few megabytes, and even one
// character class takes five times as long as the loop, on the thread that serves the requests.
const BASE64_ALPHABET = new Uint8Array(128);
for (const character of 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/') {
  BASE64_ALPHABET[character.charCodeAt(0)] = 1;
}
const PADDING = 61; // '='
function isBase64(value: string): boolean {
  if (value.length % 4 !== 0) {
    return false;
  }
  let end = value.length;
  if (end > 0 && value.charCodeAt(end - 1) === PADDING) {
    end -= value.charCodeAt(end - 2) === PADDING ? 2 : 1;
  }
  for (let i = 0; i < end; i++) {
    const code = value.charCodeAt(i);
    if (code >= 128 || BASE64_ALPHABET[code] === 0) {
      return false;
    }
  }
  return true;
}
// type/subtype with optional parameters (text/csv; charset=utf-8), in printable ASCII: nothing that
// could end or fold a header or hide in one. Only spaces around the semicolons, as `\s` would also
// match CR and LF.
const MIME_TYPE =
  /^[a-z0-9][a-z0-9!#$&^_.+-]{0,126}\/[a-z0-9][a-z0-9!#$&^_.+-]{0,126}(?: *; *[a-z0-9!#$&^_.+-]+=(?:[a-z0-9!#$&^_.+-]+|"[\x20\x21\x23-\x5b\x5d-\x7e]*"))*$/i;
/**
 * The longest `unsubscribe.list` of a {@link SendEmailRequest}.
 *
 * @public
 */
export const MAX_UNSUBSCRIBE_LIST_LENGTH = 200;

/**
 * The longest `unsubscribe.description` of a {@link SendEmailRequest}.
 *
 * @public
 */
export const MAX_UNSUBSCRIBE_DESCRIPTION_LENGTH = 200;

// U+202E and its kin reorder what follows, so `invoice<U+202E>fdp.exe` shows as `invoiceexe.pdf`.
const BIDI_CONTROLS = /\p{Bidi_Control}/u;

/**
 * One attachment of a {@link SendEmailRequest}: file name, content type and base64 content.
 *
 * @public
 */
export const emailAttachmentSchema = z.strictObject({
  filename: z
    .string({ error: 'Attachment filename is required' })
    .min(1, 'Attachment filename is required')
    .max(255, 'Attachment filename must be at most 255 characters')
    .refine(
      name => !hasControlCharacters(name) && !/[\\/]/.test(name),
      'Attachment filename must be a plain file name, without paths or control characters',
    )
    .refine(
      name => !BIDI_CONTROLS.test(name),
      'Attachment filename must not contain bidirectional text controls (such as U+202E), which can disguise its extension',
    ),
  contentType: z
    .string({ error: 'Attachment contentType is required' })
    .refine(value => !hasControlCharacters(value), {
      message:
        'Attachment contentType must be one line without control characters',
      abort: true,
    })
    .regex(
      MIME_TYPE,
      'Attachment contentType must be a MIME type such as text/csv or text/csv; charset=utf-8, in printable ASCII',
    ),
  contentBase64: z
    .string({ error: 'Attachment contentBase64 is required' })
    .refine(
      isBase64,
      'Attachment contentBase64 must be standard base64, without line breaks',
    ),
  contentId: z
    .string()
    .max(200, 'Attachment contentId must be at most 200 characters')
    .regex(
      /^[\x21-\x7e]+$/,
      'Attachment contentId must be printable ASCII without spaces',
    )
    .refine(
      value => !/[<>]/.test(value),
      'Attachment contentId must be given without angle brackets',
    )
    .optional(),
});

/**
 * What the recipient of a {@link SendEmailRequest} can unsubscribe from with one click
 * (RFC 8058). The message then carries `List-Unsubscribe` and `List-Unsubscribe-Post` headers
 * with a signed link for its one recipient; once that recipient unsubscribed, the outbox skips
 * further messages of the same caller and `list` to them (status `suppressed`).
 *
 * @public
 */
export const emailUnsubscribeSchema = z.strictObject({
  /**
   * Which kind of mail this is, as the caller names it, e.g. `notification:plugin:catalog`.
   * Suppressions are kept per caller, list and address.
   */
  list: z
    .string({ error: 'unsubscribe.list is required' })
    .min(1, 'unsubscribe.list is required')
    .max(
      MAX_UNSUBSCRIBE_LIST_LENGTH,
      `unsubscribe.list must be at most ${MAX_UNSUBSCRIBE_LIST_LENGTH} characters`,
    )
    .refine(
      value => !hasControlCharacters(value),
      'unsubscribe.list must be one line without control characters',
    ),
  /**
   * What the recipient unsubscribes from, in words, for the confirmation page and the admins'
   * suppression list, e.g. `Notifications from the catalog`.
   */
  description: z
    .string()
    .min(1, 'unsubscribe.description must not be empty')
    .max(
      MAX_UNSUBSCRIBE_DESCRIPTION_LENGTH,
      `unsubscribe.description must be at most ${MAX_UNSUBSCRIBE_DESCRIPTION_LENGTH} characters`,
    )
    .refine(
      value => !hasControlCharacters(value),
      'unsubscribe.description must be one line without control characters',
    )
    .optional(),
});

/**
 * The one-click unsubscribe of a {@link SendEmailRequest}.
 *
 * @public
 */
export type EmailUnsubscribe = z.input<typeof emailUnsubscribeSchema>;

/**
 * A message another plugin asks the portal to send (`POST /messages`, `emailService.send`).
 * The sender is always the configured one; there is no way to set headers, raw MIME, file paths
 * or URLs.
 *
 * @public
 */
export const sendEmailRequestSchema = z
  .strictObject({
    to: addresses('to').min(1, 'to must list at least one address'),
    cc: addresses('cc').optional(),
    bcc: addresses('bcc').optional(),
    subject: z
      .string({ error: 'subject is required' })
      .min(1, 'subject is required')
      .max(
        MAX_SUBJECT_LENGTH,
        `subject must be at most ${MAX_SUBJECT_LENGTH} characters`,
      )
      .refine(
        value => !hasControlCharacters(value),
        'subject must be one line without control characters',
      ),
    text: z.string().optional(),
    html: z.string().optional(),
    replyTo: z
      .union([emailAddressSchema('replyTo'), addresses('replyTo').max(10)])
      .optional(),
    attachments: z
      .array(emailAttachmentSchema)
      .max(100, 'at most 100 attachments')
      .optional(),
    idempotencyKey: z
      .string()
      .min(1)
      .max(200, 'idempotencyKey must be at most 200 characters')
      .refine(
        value => !hasControlCharacters(value),
        'idempotencyKey must not contain control characters',
      )
      .optional(),
    category: z
      .string()
      .regex(
        /^[a-z0-9][a-z0-9._:-]{0,99}$/i,
        'category must be a short identifier such as weekly-report (letters, digits, . _ : -)',
      )
      .optional(),
    unsubscribe: emailUnsubscribeSchema.optional(),
  })
  .superRefine((request, ctx) => {
    if (request.text === undefined && request.html === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['text'],
        message: 'text or html is required',
      });
    }
    const total =
      request.to.length +
      (request.cc?.length ?? 0) +
      (request.bcc?.length ?? 0);
    if (total > MAX_RECIPIENTS) {
      ctx.addIssue({
        code: 'custom',
        path: ['to'],
        message: `at most ${MAX_RECIPIENTS} recipients in to, cc and bcc together`,
      });
    }
    if (
      request.unsubscribe &&
      (request.to.length !== 1 || request.cc?.length || request.bcc?.length)
    ) {
      ctx.addIssue({
        code: 'custom',
        path: ['unsubscribe'],
        message:
          'unsubscribe needs exactly one recipient, in to: its link unsubscribes that one address',
      });
    }
  });

/**
 * A message to send, as other backend plugins pass it to `emailServiceRef` and to
 * `POST /messages`; validated by {@link sendEmailRequestSchema}.
 *
 * @public
 */
export type SendEmailRequest = z.input<typeof sendEmailRequestSchema>;

/**
 * One attachment of a {@link SendEmailRequest}.
 *
 * @public
 */
export type EmailAttachment = z.input<typeof emailAttachmentSchema>;

/**
 * Where a message is: waiting (`queued`, possibly for a retry or for a provider to be
 * configured), being handed to the provider (`sending`), accepted by the provider (`sent`),
 * given up on with a reason (`failed`), or not sent because its recipient unsubscribed from its
 * list (`suppressed`, see {@link EmailUnsubscribe}).
 *
 * @public
 */
export type MessageStatus =
  | 'queued'
  | 'sending'
  | 'sent'
  | 'failed'
  | 'suppressed';

/**
 * Every {@link MessageStatus}, in the order a message goes through them.
 *
 * @public
 */
export const MESSAGE_STATUSES: readonly MessageStatus[] = [
  'queued',
  'sending',
  'sent',
  'failed',
  'suppressed',
];

/**
 * The answer to a {@link SendEmailRequest}: the message id, to look it up in the delivery log,
 * and where the message is.
 *
 * @public
 */
export type SendEmailResponse = { id: string; status: MessageStatus };
