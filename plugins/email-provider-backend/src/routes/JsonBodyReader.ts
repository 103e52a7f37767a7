import { InputError, isError } from '@backstage/errors';
import express, { Request, Response } from 'express';

/**
 * Reads a JSON request body when a handler asks for it, after it has checked who is calling:
 * a body is never read (up to the route's limit) for a caller the route would refuse. Node's
 * JSON.parse quotes the text around a syntax error, which may be a password being typed in, so
 * the body never appears in an error.
 */
export class JsonBodyReader {
  private readonly parse: express.RequestHandler;

  constructor(options: { limitBytes?: number } = {}) {
    this.parse = express.json(
      options.limitBytes === undefined ? {} : { limit: options.limitBytes },
    );
  }

  read(req: Request, res: Response): Promise<unknown> {
    return new Promise((resolve, reject) =>
      this.parse(req, res, error => {
        if (
          isError(error) &&
          (error as { type?: string }).type === 'entity.parse.failed'
        ) {
          reject(new InputError('The request body is not valid JSON'));
        } else if (error) {
          reject(error);
        } else {
          resolve(req.body);
        }
      }),
    );
  }
}
