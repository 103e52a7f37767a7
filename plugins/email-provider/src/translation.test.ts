import { emailProviderTranslationRef } from './translation';

/** The parts of Backstage's translation ref that are internal to it but say what it holds. */
type TranslationRefInternals = {
  getDefaultMessages(): Record<string, string>;
  getDefaultResource():
    | {
        resources: Array<{
          language: string;
          loader(): Promise<{ messages: Record<string, string | null> }>;
        }>;
      }
    | undefined;
};

const ref = emailProviderTranslationRef as unknown as TranslationRefInternals;
const english = ref.getDefaultMessages();
const languages = ref.getDefaultResource()?.resources ?? [];

/** `{{host}}`, `{{ count }}` and the like: the values a sentence is built from. */
function placeholders(message: string): string[] {
  return [...message.matchAll(/{{\s*([\w.]+)\s*(?:,[^}]*)?}}/g)]
    .map(match => match[1])
    .sort();
}

describe('emailProviderTranslationRef', () => {
  it('holds the English of the page, with its fixed control names', () => {
    expect(Object.keys(english).length).toBeGreaterThan(100);
    const values = new Set(Object.values(english));
    for (const name of [
      'Email provider',
      'Server address',
      'Same as sender email address',
      'Client secret',
      'Send test email',
      'Check connection',
    ]) {
      expect(values).toContain(name);
    }
  });

  it('brings Brazilian Portuguese', () => {
    expect(languages.map(l => l.language)).toEqual(['pt-BR']);
  });

  describe.each(languages.map(l => [l.language, l] as const))(
    '%s',
    (_language, resource) => {
      let messages: Record<string, string | null>;
      beforeAll(async () => {
        messages = (await resource.loader()).messages;
      });

      it('has every key of the English messages, and no other', () => {
        const missing = Object.keys(english).filter(key => !(key in messages));
        const unknown = Object.keys(messages).filter(key => !(key in english));
        expect({ missing, unknown }).toEqual({ missing: [], unknown: [] });
      });

      it('says every message, with the values its English sentence uses', () => {
        const empty = Object.entries(messages)
          .filter(([, value]) => typeof value !== 'string' || !value.trim())
          .map(([key]) => key);
        expect(empty).toEqual([]);
        const mismatched = Object.keys(english).filter(
          key =>
            placeholders(english[key]).join() !==
            placeholders(messages[key] ?? '').join(),
        );
        expect(mismatched).toEqual([]);
      });
    },
  );
});
