import { z } from 'zod';
import { FieldInputError } from '../settings/FieldInputError';

/**
 * Parses a request body or query, or throws a FieldInputError naming each offending field by
 * its dotted path (`body` for the value as a whole).
 */
export function parseInput<T>(schema: z.ZodType<T>, value: unknown): T {
  const result = schema.safeParse(value ?? {});
  if (!result.success) {
    throw new FieldInputError(
      result.error.issues.map(i => ({
        field: i.path.map(String).join('.') || 'body',
        message: i.message,
      })),
    );
  }
  return result.data;
}
