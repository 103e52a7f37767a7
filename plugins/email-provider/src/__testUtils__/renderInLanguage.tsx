import {
  renderInTestApp,
  TestAppOptions,
} from '@backstage/frontend-test-utils';

/** The key under which the app's language selector remembers the chosen language. */
const STORED_LANGUAGE_KEY = 'language';

/**
 * Renders `element` in a test app whose language is `language` (`'pt-BR'`): the app's own
 * translation API, which loads the plugin's messages for that language as the page would. They
 * load lazily, so find the first text with `findBy…`.
 */
export function renderInLanguage(
  element: JSX.Element,
  language: string,
  options: Omit<TestAppOptions, 'config'> = {},
) {
  // The selector prefers a language remembered by an earlier render over the default one.
  window.localStorage.removeItem(STORED_LANGUAGE_KEY);
  return renderInTestApp(element, {
    ...options,
    config: {
      app: {
        baseUrl: 'http://localhost:3000',
        extensions: [
          {
            'api:app/app-language': {
              config: {
                availableLanguages: [...new Set(['en', language])],
                defaultLanguage: language,
              },
            },
          },
        ],
      },
      backend: { baseUrl: 'http://localhost:7007' },
    },
  });
}
