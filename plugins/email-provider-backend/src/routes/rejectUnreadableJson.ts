import { InputError, isError } from '@backstage/errors';
import { ErrorRequestHandler } from 'express';

// Node's JSON.parse quotes the text around a syntax error, which may be a password being typed
// in; the body never appears in an error.
export const rejectUnreadableJson: ErrorRequestHandler = (
  error,
  _req,
  _res,
  next,
) => {
  if (
    isError(error) &&
    (error as { type?: string }).type === 'entity.parse.failed'
  ) {
    next(new InputError('The request body is not valid JSON'));
  } else {
    next(error);
  }
};
