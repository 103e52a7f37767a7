import { ProviderError } from '../providers/ProviderError';

/** What a check's step that failed must match: its name, not ok, and the failure's fields given. */
export const failedStep = (name: string, failure: object) => ({
  name,
  ok: false,
  failure,
});

/** The error a send or check must have failed with: a ProviderError. */
export async function failureOf(
  promise: Promise<unknown>,
): Promise<ProviderError> {
  const error = await promise.then(
    () => undefined,
    e => e,
  );
  expect(error).toBeInstanceOf(ProviderError);
  return error;
}
