/**
 * The error nodemailer raises when the server refuses a command of the envelope (MAIL FROM,
 * RCPT TO) with `response`, for classifying refusals without a server.
 */
export function smtpRefusal(command: string, response: string): Error {
  return Object.assign(new Error(`Can't send mail: ${response}`), {
    code: 'EENVELOPE',
    command,
    response,
    responseCode: Number(response.slice(0, 3)),
    permanent: response.startsWith('5'),
  });
}
