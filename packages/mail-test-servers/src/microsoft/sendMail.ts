import { setTimeout as sleep } from 'node:timers/promises';
import {
  checkAuthorization,
  checkMailbox,
  SEND_ROLES,
  throttled,
} from './graphAccess';
import { checkSendMailBody } from './graphMessage';
import { checkSize, graphHeaders, sendGraphError } from './graphRefusals';
import { readBody } from './http';
import type { FakeHandler } from './state';

/** `POST /v1.0/users/{mailbox}/sendMail`: a message in one request, at most 4 MB. */
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
    checkMailbox(fake.settings, mailbox) ??
    checkSendMailBody(request, body);
  if (refusal) {
    sendGraphError(response, refusal);
    return;
  }
  const parsed = JSON.parse(body.toString('utf8'));
  fake.accept({
    mailbox,
    message: parsed.message,
    saveToSentItems: parsed.saveToSentItems,
    sentAs: 'sendMail',
  });
  response.writeHead(202, graphHeaders()).end();
};
