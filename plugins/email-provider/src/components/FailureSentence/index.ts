export { useFailureSentence } from './useFailureSentence';
export type { FailureToExplain } from './useFailureSentence';
