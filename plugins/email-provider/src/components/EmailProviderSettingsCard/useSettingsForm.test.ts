import {
  SAVED_SMTP,
  SAVED_SMTP_RELAY,
} from '../../__testUtils__/FakeEmailProviderApi';
import {
  INITIAL_SETTINGS_FORM,
  settingsFormReducer,
  SettingsFormAction,
  SettingsFormState,
} from './useSettingsForm';

const run = (...actions: SettingsFormAction[]): SettingsFormState =>
  actions.reduce(settingsFormReducer, INITIAL_SETTINGS_FORM);

const loaded: SettingsFormAction = {
  type: 'loaded',
  snapshot: { settings: SAVED_SMTP, version: 4 },
};

describe('settingsFormReducer', () => {
  it('builds the draft from the loaded settings', () => {
    const state = run({ type: 'load-started' }, loaded);
    expect(state.draft).toEqual(state.initial);
    expect(state.draft).toMatchObject({
      provider: 'smtp',
      smtp: { host: 'smtp.example.com', port: '587', password: '' },
    });
    expect(state.errors).toEqual({});
  });

  it("drops a server's message once its field is edited, and keeps the others", () => {
    const refused = run(
      loaded,
      { type: 'save-started' },
      {
        type: 'save-refused',
        errors: {
          'smtp.port': 'Port is wrong',
          'smtp.from': 'Sender is wrong',
        },
        general: [],
      },
    );
    expect(refused.saving).toBe(false);
    expect(refused.problem).toEqual({ kind: 'refused', details: [] });
    const draft = refused.draft!;
    const edited = settingsFormReducer(refused, {
      type: 'edited',
      draft: { ...draft, smtp: { ...draft.smtp, port: '2525' } },
    });
    expect(edited.errors).toEqual({ 'smtp.from': 'Sender is wrong' });
  });

  it('checks every edit again after a refused submit, and clears the problem once valid', () => {
    const invalid = run(loaded, {
      type: 'invalid',
      attempt: 'save',
      errors: { 'smtp.host': 'Server address is required' },
      general: [],
    });
    expect(invalid.validateLive).toBe(true);
    expect(invalid.problem).toEqual({
      kind: 'invalid',
      attempt: 'save',
      fieldCount: 1,
      details: [],
    });
    const draft = invalid.draft!;
    const stillInvalid = settingsFormReducer(invalid, {
      type: 'edited',
      draft: { ...draft, smtp: { ...draft.smtp, fromName: 'Two\nlines' } },
    });
    expect(stillInvalid.errors).toEqual({
      'smtp.fromName':
        'Sender name must be a single line without control characters',
    });
    expect(stillInvalid.problem).toBeDefined();
    const valid = settingsFormReducer(stillInvalid, {
      type: 'edited',
      draft: { ...draft, smtp: { ...draft.smtp, fromName: 'Portal' } },
    });
    expect(valid.errors).toEqual({});
    expect(valid.problem).toBeUndefined();

    // A new destination needs the password again.
    const moved = settingsFormReducer(valid, {
      type: 'edited',
      draft: { ...draft, smtp: { ...draft.smtp, host: 'smtp.example.org' } },
    });
    expect(moved.errors).toEqual({
      'smtp.password': expect.stringContaining('Password is required'),
    });
  });

  it('replaces the draft with what was saved and says so', () => {
    const state = run(
      loaded,
      { type: 'save-started' },
      {
        type: 'saved',
        snapshot: { settings: SAVED_SMTP_RELAY, version: 5 },
      },
    );
    expect(state.saving).toBe(false);
    expect(state.draft).toEqual(state.initial);
    expect(state.draft?.smtp.authentication).toBe('none');
    expect(state.notice).toEqual({ saved: SAVED_SMTP_RELAY });
  });

  it('keeps the field errors of a failed check only when it names fields', () => {
    const withErrors = run(loaded, {
      type: 'save-refused',
      errors: { 'smtp.port': 'Port is wrong' },
      general: [],
    });
    const failed = settingsFormReducer(withErrors, {
      type: 'verify-failed',
      target: 'draft',
      message: 'network down',
    });
    expect(failed.errors).toEqual({ 'smtp.port': 'Port is wrong' });
    expect(failed.verify).toEqual({
      status: 'error',
      target: 'draft',
      message: 'network down',
    });
    const refused = settingsFormReducer(withErrors, {
      type: 'verify-failed',
      target: 'draft',
      message: 'smtp.host: not allowed',
      errors: { 'smtp.host': 'not allowed' },
    });
    expect(refused.errors).toEqual({ 'smtp.host': 'not allowed' });
  });
});
