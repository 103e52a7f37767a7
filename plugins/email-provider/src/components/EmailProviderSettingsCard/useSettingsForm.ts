import { identityApiRef, useApi } from '@backstage/frontend-plugin-api';
import { ResponseError } from '@backstage/errors';
import {
  EmailProviderSettings,
  EmailProviderSettingsInput,
  VerifyResult,
} from '@email-provider/backstage-plugin-email-provider-common';
import { FormEvent, useCallback, useEffect, useReducer, useRef } from 'react';
import { emailProviderApiRef, EmailProviderSettingsSnapshot } from '../../api';
import { CheckTarget } from './ConnectionCheckResult';
import {
  changedFields,
  differsFromSaved,
  Draft,
  draftFromSettings,
  FIELD_PATHS,
} from './draft';
import { fieldId } from './ids';
import { isManagedByConfigError } from './ManagedByConfig';
import { Confirmation, confirmationFor } from './saveConfirmation';
import { FieldErrors, refusalOf, validateDraft } from './validation';

/** What the admin tried when the form's own check stopped it. */
export type Attempt = 'save' | 'check';

/**
 * A problem with the form or its save, shown above the buttons and announced: what went wrong,
 * and the sentences of the problems that name no field.
 */
export type Problem = (
  | { kind: 'invalid'; attempt: Attempt; fieldCount: number }
  | { kind: 'refused' }
  | { kind: 'not-saved' }
) & { details: string[] };

export type VerifyState =
  | { status: 'running'; target: CheckTarget }
  | { status: 'done'; target: CheckTarget; result: VerifyResult }
  /** No provider is chosen, or none is saved: there is nothing to check. */
  | { status: 'nothing-to-check'; target: CheckTarget }
  /** The request failed: the server's sentence. */
  | { status: 'error'; target: CheckTarget; message: string };

export type SettingsFormState = {
  /** The saved settings and their version, once loaded. */
  snapshot?: EmailProviderSettingsSnapshot;
  loadError?: string;
  /** The form for the saved settings, to tell what the admin changed. */
  initial?: Draft;
  draft?: Draft;
  /** Messages by field path, from the form's own check or from the server. */
  errors: FieldErrors;
  problem?: Problem;
  /** Someone else saved in between: the server's sentence. */
  conflict?: string;
  /** Kept across the reload that follows: it explains why the form became read-only. */
  takenOverByConfig: boolean;
  /** The settings just saved, for the notice saying so. */
  notice?: { saved: EmailProviderSettings };
  /** After a refused submit, every edit is checked again at once. */
  validateLive: boolean;
  saving: boolean;
  confirmation?: Confirmation;
  testOpen: boolean;
  verify?: VerifyState;
  recipient?: string;
};

export type SettingsFormAction =
  | { type: 'load-started' }
  | { type: 'loaded'; snapshot: EmailProviderSettingsSnapshot }
  | { type: 'load-failed'; message: string }
  | { type: 'edited'; draft: Draft }
  | { type: 'validated' }
  | {
      type: 'invalid';
      attempt: Attempt;
      errors: FieldErrors;
      general: string[];
    }
  | { type: 'confirmation-asked'; confirmation: Confirmation }
  | { type: 'confirmation-cancelled' }
  | { type: 'save-started' }
  | { type: 'saved'; snapshot: EmailProviderSettingsSnapshot }
  | { type: 'save-conflicted'; message: string }
  | { type: 'save-refused'; errors: FieldErrors; general: string[] }
  | { type: 'save-failed'; message: string }
  | { type: 'taken-over-by-config' }
  | { type: 'verify-started'; target: CheckTarget }
  | { type: 'verify-done'; target: CheckTarget; result: VerifyResult }
  | { type: 'verify-nothing-to-check'; target: CheckTarget }
  | {
      type: 'verify-failed';
      target: CheckTarget;
      message: string;
      errors?: FieldErrors;
    }
  | { type: 'test-dialog'; open: boolean }
  | { type: 'recipient-known'; recipient: string };

export const INITIAL_SETTINGS_FORM: SettingsFormState = {
  errors: {},
  takenOverByConfig: false,
  validateLive: false,
  saving: false,
  testOpen: false,
};

function withoutFields(errors: FieldErrors, fields: string[]): FieldErrors {
  return Object.fromEntries(
    Object.entries(errors).filter(([field]) => !fields.includes(field)),
  );
}

/** The form showing what the server holds: a fresh draft of it, nothing marked. */
function showingSaved(
  state: SettingsFormState,
  snapshot: EmailProviderSettingsSnapshot,
): SettingsFormState {
  const draft = draftFromSettings(snapshot.settings);
  return {
    ...state,
    snapshot,
    initial: draft,
    draft,
    errors: {},
    validateLive: false,
  };
}

/** Every change of the settings form, as one pure function of the state and what happened. */
export function settingsFormReducer(
  state: SettingsFormState,
  action: SettingsFormAction,
): SettingsFormState {
  switch (action.type) {
    case 'load-started':
      return { ...state, loadError: undefined };
    case 'loaded':
      return {
        ...showingSaved(state, action.snapshot),
        problem: undefined,
        conflict: undefined,
      };
    case 'load-failed':
      return { ...state, loadError: action.message };
    case 'edited': {
      const next = { ...state, draft: action.draft, notice: undefined };
      if (state.validateLive && state.snapshot) {
        const validation = validateDraft(action.draft, state.snapshot.settings);
        return validation.ok
          ? { ...next, errors: {}, problem: undefined }
          : { ...next, errors: validation.errors };
      }
      if (!state.draft) {
        return next;
      }
      // A message from the server goes away once its field is edited.
      const edited = changedFields(state.draft, action.draft);
      return edited.some(field => field in state.errors)
        ? { ...next, errors: withoutFields(state.errors, edited) }
        : next;
    }
    case 'validated':
      return { ...state, errors: {} };
    case 'invalid':
      return {
        ...state,
        errors: action.errors,
        validateLive: true,
        notice: undefined,
        problem: {
          kind: 'invalid',
          attempt: action.attempt,
          fieldCount: Object.keys(action.errors).length,
          details: action.general,
        },
      };
    case 'confirmation-asked':
      return { ...state, confirmation: action.confirmation };
    case 'confirmation-cancelled':
      return { ...state, confirmation: undefined };
    case 'save-started':
      return {
        ...state,
        confirmation: undefined,
        saving: true,
        problem: undefined,
        conflict: undefined,
        notice: undefined,
      };
    case 'saved':
      return {
        ...showingSaved(state, action.snapshot),
        verify: undefined,
        saving: false,
        notice: { saved: action.snapshot.settings },
      };
    case 'save-conflicted':
      return { ...state, saving: false, conflict: action.message };
    case 'save-refused':
      return {
        ...state,
        saving: false,
        errors: action.errors,
        notice: undefined,
        problem: { kind: 'refused', details: action.general },
      };
    case 'save-failed':
      return {
        ...state,
        saving: false,
        notice: undefined,
        problem: { kind: 'not-saved', details: [action.message] },
      };
    case 'taken-over-by-config':
      return { ...state, saving: false, takenOverByConfig: true };
    case 'verify-started':
      return { ...state, verify: { status: 'running', target: action.target } };
    case 'verify-done':
      return {
        ...state,
        verify: {
          status: 'done',
          target: action.target,
          result: action.result,
        },
      };
    case 'verify-nothing-to-check':
      return {
        ...state,
        verify: { status: 'nothing-to-check', target: action.target },
      };
    case 'verify-failed':
      return {
        ...state,
        errors: action.errors ?? state.errors,
        verify: {
          status: 'error',
          target: action.target,
          message: action.message,
        },
      };
    case 'test-dialog':
      return { ...state, testOpen: action.open };
    case 'recipient-known':
      return { ...state, recipient: action.recipient };
    default:
      return state;
  }
}

function errorMessage(error: unknown): string {
  if (error instanceof ResponseError) {
    return error.body?.error?.message ?? error.message;
  }
  return error instanceof Error ? error.message : String(error);
}

const isBadRequest = (error: unknown): error is ResponseError =>
  error instanceof ResponseError && error.statusCode === 400;

/**
 * The settings form: its state, and what the admin can do with it (edit, save, check the
 * connection, open the test email dialog). The view renders the state and calls these.
 */
export function useSettingsForm() {
  const api = useApi(emailProviderApiRef);
  const identityApi = useApi(identityApiRef);
  const [state, dispatch] = useReducer(
    settingsFormReducer,
    INITIAL_SETTINGS_FORM,
  );
  /** The problem summary, focused when no field can be. */
  const problemRef = useRef<HTMLDivElement>(null);

  const load = useCallback(async () => {
    dispatch({ type: 'load-started' });
    try {
      dispatch({ type: 'loaded', snapshot: await api.getSettings() });
    } catch (error) {
      dispatch({ type: 'load-failed', message: errorMessage(error) });
    }
  }, [api]);

  useEffect(() => {
    load();
  }, [load]);

  useEffect(() => {
    let cancelled = false;
    identityApi
      .getProfileInfo()
      .then(profile => {
        if (!cancelled && profile.email) {
          dispatch({ type: 'recipient-known', recipient: profile.email });
        }
      })
      .catch(() => undefined);
    return () => {
      cancelled = true;
    };
  }, [identityApi]);

  const { snapshot, draft, initial } = state;
  const saved = snapshot?.settings;
  const managed = saved?.managedBy === 'config';

  const focusFirstError = (fieldErrors: FieldErrors) => {
    // The first invalid field in the order of the form.
    const first = [...FIELD_PATHS].find(path => path in fieldErrors);
    const element = first ? document.getElementById(fieldId(first)) : null;
    if (element) {
      element.focus();
    } else {
      problemRef.current?.focus();
    }
  };

  /** The form as settings, or undefined after showing what is wrong. */
  const validated = (
    attempt: Attempt,
  ): EmailProviderSettingsInput | undefined => {
    if (!draft || !saved) {
      return undefined;
    }
    const validation = validateDraft(draft, saved);
    if (validation.ok) {
      dispatch({ type: 'validated' });
      return validation.input;
    }
    dispatch({
      type: 'invalid',
      attempt,
      errors: validation.errors,
      general: validation.general,
    });
    focusFirstError(validation.errors);
    return undefined;
  };

  const save = async (input: EmailProviderSettingsInput) => {
    dispatch({ type: 'save-started' });
    try {
      const result =
        input.provider === 'none'
          ? await api.deleteSettings({ version: snapshot?.version })
          : await api.saveSettings(input, { version: snapshot?.version });
      dispatch({ type: 'saved', snapshot: result });
    } catch (error) {
      if (isManagedByConfigError(error)) {
        await load();
        dispatch({ type: 'taken-over-by-config' });
      } else if (error instanceof ResponseError && error.statusCode === 409) {
        dispatch({ type: 'save-conflicted', message: errorMessage(error) });
      } else if (isBadRequest(error)) {
        const refusal = refusalOf(error);
        dispatch({ type: 'save-refused', ...refusal });
        focusFirstError(refusal.errors);
      } else {
        dispatch({ type: 'save-failed', message: errorMessage(error) });
        problemRef.current?.focus();
      }
    }
  };

  const submit = (event: FormEvent) => {
    event.preventDefault();
    const input = validated('save');
    if (!input || !saved) {
      return;
    }
    const confirmation = confirmationFor(saved, input);
    if (confirmation) {
      dispatch({ type: 'confirmation-asked', confirmation });
    } else {
      save(input);
    }
  };

  const checkConnection = async () => {
    if (!draft || !initial || !saved) {
      return;
    }
    const draftChanged = differsFromSaved(draft, initial);
    let settings: EmailProviderSettingsInput | undefined;
    if (draftChanged) {
      settings = validated('check');
      if (!settings) {
        return;
      }
      if (settings.provider === 'none') {
        dispatch({ type: 'verify-nothing-to-check', target: 'draft' });
        return;
      }
    } else if (saved.provider === 'none') {
      dispatch({ type: 'verify-nothing-to-check', target: 'saved' });
      return;
    }
    let target: CheckTarget = 'saved';
    if (draftChanged) {
      target = 'draft';
    } else if (managed) {
      target = 'config';
    }
    dispatch({ type: 'verify-started', target });
    try {
      const result = await api.verify(settings ? { settings } : {});
      dispatch({ type: 'verify-done', target, result });
    } catch (error) {
      dispatch({
        type: 'verify-failed',
        target,
        message: errorMessage(error),
        // The draft is under `settings` in the body of /verify.
        errors: isBadRequest(error)
          ? refusalOf(error, 'settings.').errors
          : undefined,
      });
    }
  };

  return {
    state,
    problemRef,
    /** Whether the settings are pinned by the portal's configuration. */
    managed,
    load,
    change: (next: Draft) => dispatch({ type: 'edited', draft: next }),
    submit,
    save,
    cancelConfirmation: () => dispatch({ type: 'confirmation-cancelled' }),
    checkConnection,
    setTestOpen: (open: boolean) => dispatch({ type: 'test-dialog', open }),
  };
}
