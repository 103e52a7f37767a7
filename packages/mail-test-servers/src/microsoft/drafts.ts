import { randomBytes } from 'node:crypto';
import {
  checkAuthorization,
  checkMailbox,
  READ_FOLDER_ROLES,
  READ_WRITE_ROLES,
  SEND_ROLES,
} from './graphAccess';
import {
  checkFileAttachment,
  checkMessageFields,
  checkMessageSize,
  checkRecipients,
  FileAttachment,
  GraphDraft,
  GraphMessage,
} from './graphMessage';
import {
  checkContentLength,
  checkSize,
  graphHeaders,
  GraphRefusal,
  ITEM_NOT_FOUND,
  parseJson,
  sendGraphError,
} from './graphRefusals';
import { readBody, sendJson } from './http';
import type { FakeHandler, FakeState } from './state';

/** Below this, Graph wants an attachment in one POST and refuses an upload session. */
export const UPLOAD_SESSION_MIN_BYTES = 3 * 1024 * 1024;

/** An ID in the shape of Exchange's: URL-safe base64 with padding. */
export function newItemId(): string {
  return `AAMkAG${randomBytes(30).toString('base64url')}AAA=`;
}

/** The mailbox's draft named in the path, or the refusal Graph gives for it. */
export function findDraft(
  fake: FakeState,
  mailbox: string,
  id: string,
): { draft?: GraphDraft; refusal?: GraphRefusal } {
  const draft = fake.drafts.get(id);
  if (draft && draft.mailbox.toLowerCase() === mailbox.toLowerCase()) {
    return { draft };
  }
  return { refusal: ITEM_NOT_FOUND };
}

/** `POST /v1.0/users/{mailbox}/messages`: a draft, which may have no recipients yet. */
export const handleCreateDraft: FakeHandler = async (
  fake,
  request,
  response,
  match,
) => {
  const body = await readBody(request);
  const mailbox = decodeURIComponent(match[1]);
  const parsed = parseJson(request, body);
  const refusal =
    checkSize(body) ??
    checkAuthorization(fake, request.headers.authorization, READ_WRITE_ROLES) ??
    checkMailbox(fake.settings, mailbox) ??
    parsed.refusal ??
    checkMessageFields(parsed.value, { recipientsRequired: false });
  if (refusal) {
    sendGraphError(response, refusal);
    return;
  }
  fake.counters.draftsCreated += 1;
  const draft: GraphDraft = {
    id: newItemId(),
    mailbox,
    message: {
      attachments: [],
      ...(parsed.value as GraphMessage),
    },
  };
  fake.drafts.set(draft.id, draft);
  sendJson(
    response,
    201,
    { id: draft.id, isDraft: true, ...draft.message },
    graphHeaders(),
  );
};

/** `POST .../messages/{id}/attachments`: an attachment under 3 MB, in one request. */
export const handleAddAttachment: FakeHandler = async (
  fake,
  request,
  response,
  match,
) => {
  const body = await readBody(request);
  const mailbox = decodeURIComponent(match[1]);
  const found = findDraft(fake, mailbox, decodeURIComponent(match[2]));
  const parsed = parseJson(request, body);
  const refusal =
    checkAuthorization(fake, request.headers.authorization, READ_WRITE_ROLES) ??
    checkMailbox(fake.settings, mailbox) ??
    found.refusal ??
    parsed.refusal ??
    checkFileAttachment(parsed.value);
  if (refusal) {
    sendGraphError(response, refusal);
    return;
  }
  const attachment = parsed.value as FileAttachment;
  const size = Buffer.byteLength(attachment.contentBytes, 'base64');
  if (size >= UPLOAD_SESSION_MIN_BYTES) {
    sendGraphError(response, {
      status: 413,
      code: 'RequestEntityTooLarge',
      message:
        'An attachment of 3 MB or more must be added through an upload session.',
    });
    return;
  }
  found.draft!.message.attachments!.push(attachment);
  sendJson(
    response,
    201,
    { id: newItemId(), size, ...attachment },
    graphHeaders(),
  );
};

/** `POST .../messages/{id}/send`: sends the draft, which always lands in Sent Items. */
export const handleSendDraft: FakeHandler = async (
  fake,
  request,
  response,
  match,
) => {
  await readBody(request);
  const mailbox = decodeURIComponent(match[1]);
  const found = findDraft(fake, mailbox, decodeURIComponent(match[2]));
  const refusal =
    checkContentLength(request) ??
    checkAuthorization(fake, request.headers.authorization, SEND_ROLES) ??
    checkMailbox(fake.settings, mailbox) ??
    found.refusal ??
    checkRecipients(found.draft!.message) ??
    checkMessageSize(found.draft!.message);
  if (refusal) {
    sendGraphError(response, refusal);
    return;
  }
  const draft = found.draft!;
  fake.drafts.delete(draft.id);
  fake.dropUploadSessions(draft.id);
  fake.accept({
    mailbox,
    message: draft.message,
    saveToSentItems: true,
    sentAs: 'draft',
    format: 'json',
  });
  response.writeHead(202, graphHeaders()).end();
};

/** `DELETE .../messages/{id}`: drops a draft and its upload sessions. */
export const handleDeleteDraft: FakeHandler = async (
  fake,
  request,
  response,
  match,
) => {
  await readBody(request);
  const mailbox = decodeURIComponent(match[1]);
  const found = findDraft(fake, mailbox, decodeURIComponent(match[2]));
  const refusal =
    checkAuthorization(fake, request.headers.authorization, READ_WRITE_ROLES) ??
    checkMailbox(fake.settings, mailbox) ??
    found.refusal;
  if (refusal) {
    sendGraphError(response, refusal);
    return;
  }
  fake.drafts.delete(found.draft!.id);
  fake.dropUploadSessions(found.draft!.id);
  response.writeHead(204, graphHeaders()).end();
};

/** `GET /v1.0/users/{mailbox}/mailFolders/drafts`: the Drafts folder's ID. */
export const handleDraftsFolder: FakeHandler = async (
  fake,
  request,
  response,
  match,
) => {
  await readBody(request);
  const mailbox = decodeURIComponent(match[1]);
  const refusal =
    checkAuthorization(
      fake,
      request.headers.authorization,
      READ_FOLDER_ROLES,
    ) ?? checkMailbox(fake.settings, mailbox);
  if (refusal) {
    sendGraphError(response, refusal);
    return;
  }
  sendJson(
    response,
    200,
    {
      '@odata.context': `${
        fake.baseUrl
      }/v1.0/$metadata#users('${encodeURIComponent(
        mailbox,
      )}')/mailFolders(id)/$entity`,
      id: 'AQMkADrafts',
    },
    graphHeaders(),
  );
};
