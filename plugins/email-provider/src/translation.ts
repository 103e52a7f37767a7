import { createTranslationRef } from '@backstage/frontend-plugin-api';

/**
 * Every label and sentence of the email-provider frontend plugin, in English. The plugin brings
 * Brazilian Portuguese (`pt-BR`) too; an app enables a language through its language setting,
 * overrides any message with `createTranslationMessages`, and adds a language with
 * `createTranslationResource`.
 *
 * The English names of the page's controls are a contract that browser tests rely on; an app
 * that overrides them in English breaks those tests, not the product.
 *
 * @public
 */
export const emailProviderTranslationRef = createTranslationRef({
  id: 'plugin.email-provider',
  messages: {
    // SECTION page (page shell, access, sidebar item, credential expiry)
    page: {},
    // END page
    // SECTION fields (provider fields, their help and client-side validation)
    fields: {},
    // END fields
    // SECTION settings (editor flow, status, confirmations, test email, connection check)
    settings: {},
    // END settings
    // SECTION deliveries (Deliveries tab)
    deliveries: {},
    // END deliveries
    // SECTION failures (failure sentences by code)
    failures: {},
    // END failures
  },
  translations: {
    'pt-BR': () =>
      import('./translations/pt-BR').then(m => ({
        default: m.emailProviderMessagesPtBr,
      })),
  },
});
