import {
  AuditorService,
  LoggerService,
  RootConfigService,
} from '@backstage/backend-plugin-api';
import { JsonObject, JsonValue } from '@backstage/config';
import { InputError } from '@backstage/errors';
import {
  EmailProviderSettingsInput,
  MANAGED_SETTINGS_CONFIG_KEY,
  validateEmailProviderSettingsInput,
} from '@email-provider/backstage-plugin-email-provider-common';
import type { AdminNotifier } from '../alerts/AdminNotifier';
import {
  describeSettings,
  managedSettingsAlert,
} from '../alerts/settingsChangeAlert';
import type { SettingsChange, SettingsService } from './SettingsService';

/**
 * Fields that are numbers or booleans in a PUT body. `${ENV}` substitution in app-config always
 * yields strings, so these accept their string forms here; everything else is held to the PUT
 * body's rules as written.
 */
const NUMBER_FIELDS = new Set(['smtp.port']);
const BOOLEAN_FIELDS = new Set([
  'smtp.usernameSameAsFrom',
  'microsoft365.largeMessages',
]);

/**
 * Reads the provider pinned by `emailProvider.managedSettings`, validated by the same schema as a
 * PUT body and the same host rule as a save. Returns undefined when the key is absent; throws,
 * naming each offending key and its rule, when it is invalid, so the backend stops at startup
 * instead of running with settings that no admin can fix in the page.
 */
export function readManagedSettings(
  config: RootConfigService,
  destinations: { checkSettingsHost(host: string): void },
): EmailProviderSettingsInput | undefined {
  if (!config.has(MANAGED_SETTINGS_CONFIG_KEY)) {
    return undefined;
  }
  const result = validateEmailProviderSettingsInput(
    fromConfigScalars(config.get(MANAGED_SETTINGS_CONFIG_KEY)),
  );
  if (!result.success) {
    throw invalidManagedSettings(
      result.issues.map(issue =>
        issue.field === 'body'
          ? issue.message
          : `${issue.field}: ${issue.message}`,
      ),
    );
  }
  if (result.data.provider === 'smtp') {
    try {
      destinations.checkSettingsHost(result.data.smtp.host);
    } catch (error) {
      throw invalidManagedSettings([String((error as Error).message)]);
    }
  }
  return result.data;
}

/**
 * The startup error for managed settings, from problems worded as a PUT's 400 words them
 * (`smtp.port: …`), each put under the configuration key.
 */
export function invalidManagedSettings(problems: string[]): Error {
  const named = problems.map(problem =>
    /^[a-z0-9]+(\.[a-zA-Z0-9]+)*: /i.test(problem)
      ? `${MANAGED_SETTINGS_CONFIG_KEY}.${problem}`
      : `${MANAGED_SETTINGS_CONFIG_KEY}: ${problem}`,
  );
  return new Error(
    `Invalid email provider settings in configuration: ${named.join('; ')}`,
  );
}

/**
 * Puts the configured provider in charge at startup, and says so: in the log always, and in the
 * audit log and to the admins when it deleted settings an admin had saved.
 */
export async function adoptManagedSettings(options: {
  settings: SettingsService;
  input: EmailProviderSettingsInput;
  logger: LoggerService;
  auditor: AuditorService;
  notifier: AdminNotifier;
}): Promise<void> {
  const { settings, input, logger, auditor, notifier } = options;
  let deleted: SettingsChange | undefined;
  try {
    deleted = await settings.adoptManaged(input);
  } catch (error) {
    // A missing secret: the rule a save applies, worded for the configuration.
    if (error instanceof InputError) {
      throw invalidManagedSettings([error.message]);
    }
    throw error;
  }
  const configured = (await settings.read()).settings;
  if (deleted) {
    const event = await auditor.createEvent({
      eventId: 'settings-update',
      severityLevel: 'medium',
      meta: { action: 'managed-by-config' },
    });
    await event.success({ meta: deleted });
    await notifier.send(
      managedSettingsAlert({ deleted, settings: configured }),
    );
  }
  logger.info(
    `The email provider is set by configuration (${MANAGED_SETTINGS_CONFIG_KEY}): ${describeSettings(
      configured,
    )}; the page and the API show it read-only${
      deleted
        ? `; the ${deleted.previousProvider} settings saved in the database were deleted`
        : ''
    }`,
  );
}

function fromConfigScalars(value: JsonValue): JsonValue {
  if (!isObject(value)) {
    return value;
  }
  const converted: JsonObject = { ...value };
  for (const [section, fields] of Object.entries(value)) {
    if (!isObject(fields)) {
      continue;
    }
    const settings: JsonObject = { ...fields };
    for (const [name, field] of Object.entries(fields)) {
      if (typeof field !== 'string') {
        continue;
      }
      const path = `${section}.${name}`;
      if (NUMBER_FIELDS.has(path) && /^\s*\d+\s*$/.test(field)) {
        settings[name] = Number(field);
      } else if (BOOLEAN_FIELDS.has(path) && /^(true|false)$/.test(field)) {
        settings[name] = field === 'true';
      }
    }
    converted[section] = settings;
  }
  return converted;
}

function isObject(value: JsonValue | undefined): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
