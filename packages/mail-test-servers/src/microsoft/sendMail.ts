import type { IncomingMessage } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  checkAuthorization,
  checkMailbox,
  SEND_ROLES,
  throttled,
} from './graphAccess';
import {
  checkMessageSize,
  checkRecipients,
  checkSendMailBody,
  ReceivedGraphMail,
} from './graphMessage';
import {
  checkSize,
  graphHeaders,
  GraphRefusal,
  sendGraphError,
} from './graphRefusals';
import { readBody } from './http';
import { isMimeBody, readMimeMessage } from './mimeMessage';
import type { FakeHandler } from './state';

/**
 * `POST /v1.0/users/{mailbox}/sendMail`: a message in one request, at most 4 MB, as JSON or as
 * a base64 MIME message (`Content-Type: text/plain`). A MIME message always lands in Sent Items.
 */
export const handleSendMail: FakeHandler = async (
  fake,
  request,
  response,
  match,
) => {
  fake.counters.sendMailRequests += 1;
  const clientGone = new AbortController();
  response.on('close', () => clientGone.abort());
  const body = await readBody(request);
  await sleep(fake.settings.sendMailDelayMs, undefined, {
    signal: clientGone.signal,
  }).catch(() => undefined);
  if (clientGone.signal.aborted) {
    return;
  }
  const mailbox = decodeURIComponent(match[1]);
  const refusal =
    checkSize(body) ??
    checkAuthorization(fake, request.headers.authorization, SEND_ROLES) ??
    throttled(fake.sendMailThrottle.take()) ??
    checkMailbox(fake.settings, mailbox);
  if (refusal) {
    sendGraphError(response, refusal);
    return;
  }
  const read = isMimeBody(request.headers['content-type'])
    ? await readMime(mailbox, body)
    : readJson(mailbox, request, body);
  if (read.refusal) {
    sendGraphError(response, read.refusal);
    return;
  }
  fake.accept(read.mail!);
  response.writeHead(202, graphHeaders()).end();
};

type ReadMail = { mail?: ReceivedGraphMail; refusal?: GraphRefusal };

function readJson(
  mailbox: string,
  request: IncomingMessage,
  body: Buffer,
): ReadMail {
  const refusal = checkSendMailBody(request, body);
  if (refusal) {
    return { refusal };
  }
  const parsed = JSON.parse(body.toString('utf8'));
  return {
    mail: {
      mailbox,
      message: parsed.message,
      saveToSentItems: parsed.saveToSentItems,
      sentAs: 'sendMail',
      format: 'json',
    },
  };
}

async function readMime(mailbox: string, body: Buffer): Promise<ReadMail> {
  const { message, mime, refusal } = await readMimeMessage(body);
  if (refusal) {
    return { refusal };
  }
  const messageRefusal =
    checkRecipients(message!) ?? checkMessageSize(message!);
  if (messageRefusal) {
    return { refusal: messageRefusal };
  }
  return {
    mail: {
      mailbox,
      message: message!,
      saveToSentItems: true,
      sentAs: 'sendMail',
      format: 'mime',
      mime,
    },
  };
}
