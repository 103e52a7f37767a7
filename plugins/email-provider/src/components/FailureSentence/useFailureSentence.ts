import { useTranslationRef } from '@backstage/frontend-plugin-api';
import type {
  EmailFailure,
  MicrosoftServiceName,
} from '@email-provider/backstage-plugin-email-provider-common';
import { useCallback } from 'react';
import { emailProviderTranslationRef } from '../../translation';
import { chooseFailureSentence } from './failureSentences';

/** The parts of a failure that its sentence is made from. */
export type FailureToExplain = Pick<EmailFailure, 'message' | 'params'> & {
  /**
   * An `EmailFailureCode`, the delivery log's `expired`, or a code of a newer backend, which
   * this page explains with the backend's message.
   */
  code: string;
};

const serviceKeys = {
  entra: 'failures.services.entra',
  graph: 'failures.services.graph',
  'upload-session': 'failures.services.uploadSession',
} as const satisfies Record<MicrosoftServiceName, string>;

/**
 * The sentence that explains a failure in the page's language: the translation for its code
 * and params, or the backend's own English sentence for a code, a reason or params this page
 * does not know.
 */
export function useFailureSentence(): (failure: FailureToExplain) => string {
  const { t } = useTranslationRef(emailProviderTranslationRef);
  return useCallback(
    (failure: FailureToExplain) => {
      const params = failure.params ?? {};
      const sentence = chooseFailureSentence(failure.code, params);
      if (!sentence) {
        return failure.message;
      }
      const values: Record<string, string | number> = { ...params };
      if (sentence.needs.includes('service')) {
        const service = String(params.service);
        if (!Object.hasOwn(serviceKeys, service)) {
          return failure.message;
        }
        values.service = t(serviceKeys[service as MicrosoftServiceName], {
          url: String(params.url),
        });
      }
      // The key is one of the failure sentences, chosen at run time; their values are the
      // params the choice checked.
      const translate = t as unknown as (
        key: string,
        options: Record<string, string | number>,
      ) => string;
      return translate(sentence.key, values);
    },
    [t],
  );
}
