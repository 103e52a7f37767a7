import type { TranslationRef } from '@backstage/frontend-plugin-api';
import type { emailProviderTranslationRef } from '../translation';

type EmailProviderMessages =
  typeof emailProviderTranslationRef extends TranslationRef<string, infer M>
    ? M
    : never;

/**
 * Brazilian Portuguese, in the terms of Portuguese-language email admin consoles. The type
 * refuses a missing or unknown key; `translation.test.ts` checks the same at run time, for every
 * language the plugin brings.
 */
export const emailProviderMessagesPtBr: {
  [key in keyof EmailProviderMessages]: string;
} = {
  // SECTION page
  // END page
  // SECTION fields
  // END fields
  // SECTION settings
  // END settings
  // SECTION deliveries
  // END deliveries
  // SECTION failures
  // END failures
};
