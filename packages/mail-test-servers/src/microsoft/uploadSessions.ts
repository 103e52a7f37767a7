import { randomBytes } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { findDraft, newItemId, UPLOAD_SESSION_MIN_BYTES } from './drafts';
import {
  checkAuthorization,
  checkMailbox,
  READ_WRITE_ROLES,
  throttled,
} from './graphAccess';
import { MAX_MESSAGE_BYTES } from './graphMessage';
import {
  badBody,
  checkContentLength,
  GRAPH_MAX_REQUEST_BYTES,
  graphHeaders,
  GraphRefusal,
  parseJson,
  sendGraphError,
  tooLarge,
} from './graphRefusals';
import { readBody, sendJson } from './http';
import type { FakeHandler, UploadSession } from './state';

/**
 * `POST .../messages/{id}/attachments/createUploadSession`: an upload URL on another path,
 * authorized by the token in it alone, for an attachment of 3 MB or more.
 */
export const handleCreateUploadSession: FakeHandler = async (
  fake,
  request,
  response,
  match,
) => {
  const body = await readBody(request);
  const mailbox = decodeURIComponent(match[1]);
  const found = findDraft(fake, mailbox, decodeURIComponent(match[2]));
  const parsed = parseJson(request, body);
  const item = (parsed.value as { AttachmentItem?: UploadSession['item'] })
    ?.AttachmentItem;
  const refusal =
    checkAuthorization(fake, request.headers.authorization, READ_WRITE_ROLES) ??
    checkMailbox(fake.settings, mailbox) ??
    found.refusal ??
    parsed.refusal ??
    checkAttachmentItem(item);
  if (refusal) {
    sendGraphError(response, refusal);
    return;
  }
  const session: UploadSession = {
    id: randomBytes(16).toString('hex'),
    authtoken: randomBytes(32).toString('base64url'),
    draftId: found.draft!.id,
    item: item!,
    chunks: [],
    received: 0,
  };
  fake.uploadSessions.set(session.id, session);
  sendJson(
    response,
    201,
    {
      '@odata.context': `${fake.baseUrl}/v1.0/$metadata#microsoft.graph.uploadSession`,
      uploadUrl: `${fake.baseUrl}/api/v2.0/AttachmentSessions/${session.id}?authtoken=${session.authtoken}`,
      expirationDateTime: new Date(Date.now() + 15 * 60_000).toISOString(),
      nextExpectedRanges: ['0-'],
    },
    graphHeaders(),
  );
};

/**
 * `PUT /api/v2.0/AttachmentSessions/{id}?authtoken=…`: one range of the attachment; the last
 * one adds the reassembled attachment to the draft.
 */
export const handleUploadChunk: FakeHandler = async (
  fake,
  request,
  response,
  match,
) => {
  fake.counters.uploadChunks += 1;
  const body = await readBody(request);
  await sleep(fake.settings.uploadDelayMs);
  if (request.headers.authorization !== undefined) {
    fake.counters.uploadsWithAuthorization += 1;
    sendGraphError(response, {
      status: 400,
      code: 'InvalidRequest',
      message:
        'The upload URL is pre-authenticated: a request to it must not carry an Authorization header.',
    });
    return;
  }
  const session = fake.uploadSessions.get(match[1]);
  const authtoken = new URL(request.url ?? '/', fake.baseUrl).searchParams.get(
    'authtoken',
  );
  if (!session || authtoken !== session.authtoken) {
    sendGraphError(response, {
      status: 404,
      code: 'ErrorItemNotFound',
      message: 'The upload session was not found or has expired.',
    });
    return;
  }
  const refusal =
    throttled(fake.uploadThrottle.take()) ?? checkRange(request, body, session);
  if (refusal) {
    sendGraphError(response, refusal);
    return;
  }
  // Sessions go with their draft, whether it is sent or deleted.
  const draft = fake.drafts.get(session.draftId)!;
  session.chunks.push(body);
  session.received += body.length;
  if (session.received < session.item.size) {
    sendJson(
      response,
      200,
      {
        expirationDateTime: new Date(Date.now() + 15 * 60_000).toISOString(),
        nextExpectedRanges: [`${session.received}-`],
      },
      graphHeaders(),
    );
    return;
  }
  fake.uploadSessions.delete(session.id);
  const attachmentId = newItemId();
  draft.message.attachments!.push({
    '@odata.type': '#microsoft.graph.fileAttachment',
    name: session.item.name,
    contentType: session.item.contentType,
    contentBytes: Buffer.concat(session.chunks).toString('base64'),
    isInline: session.item.isInline,
    ...(session.item.contentId ? { contentId: session.item.contentId } : {}),
  });
  response
    .writeHead(201, {
      ...graphHeaders(),
      Location: `${fake.baseUrl}/v1.0/users/${encodeURIComponent(
        draft.mailbox,
      )}/messages/${encodeURIComponent(
        draft.id,
      )}/attachments/${encodeURIComponent(attachmentId)}`,
    })
    .end();
};

/** Checks the `AttachmentItem` of createUploadSession. */
function checkAttachmentItem(
  item: UploadSession['item'] | undefined,
): GraphRefusal | undefined {
  if (
    typeof item !== 'object' ||
    item === null ||
    (item as { attachmentType?: unknown }).attachmentType !== 'file' ||
    typeof item.name !== 'string' ||
    !item.name ||
    !Number.isInteger(item.size)
  ) {
    return badBody(
      "The AttachmentItem must have attachmentType 'file', a name and a size.",
    );
  }
  if (item.size < UPLOAD_SESSION_MIN_BYTES) {
    return {
      status: 400,
      code: 'ErrorAttachmentSizeShouldNotBeLessThanMinimumSize',
      message: 'Attachment size must be greater than the minimum size.',
    };
  }
  if (item.size > MAX_MESSAGE_BYTES) {
    return {
      status: 400,
      code: 'ErrorAttachmentSizeShouldNotBeLargerThanMaximumSize',
      message: 'Attachment size must be less than the maximum size.',
    };
  }
  return undefined;
}

/**
 * Checks one PUT to an upload session: its Content-Length and Content-Range say exactly the
 * bytes it carries, at most 4 MB, starting where the previous one ended.
 */
function checkRange(
  request: IncomingMessage,
  body: Buffer,
  session: UploadSession,
): GraphRefusal | undefined {
  const lengthRefusal = checkContentLength(request);
  if (lengthRefusal) {
    return lengthRefusal;
  }
  const expected = `${session.received}-`;
  const invalid = (message: string): GraphRefusal => ({
    status: 400,
    code: 'InvalidContentRange',
    message: `${message} (nextExpectedRanges: ${expected}).`,
  });
  const range = /^bytes (\d+)-(\d+)\/(\d+)$/.exec(
    request.headers['content-range'] ?? '',
  );
  if (!range) {
    return invalid('The Content-Range header is missing or malformed');
  }
  const [start, end, total] = range.slice(1).map(Number);
  if (total !== session.item.size) {
    return invalid(
      `The total size ${total} is not the ${session.item.size} bytes the session was created for`,
    );
  }
  if (start !== session.received) {
    return invalid(`The range starts at byte ${start}`);
  }
  if (end < start || end >= total) {
    return invalid(`The range ${start}-${end} is outside the attachment`);
  }
  if (body.length !== end - start + 1) {
    return invalid(
      `The body has ${body.length} bytes, but the range ${start}-${end} says ${
        end - start + 1
      }`,
    );
  }
  return body.length > GRAPH_MAX_REQUEST_BYTES ? tooLarge() : undefined;
}
