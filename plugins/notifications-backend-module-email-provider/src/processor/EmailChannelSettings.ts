import {
  ChannelSetting,
  isNotificationsEnabledFor,
  NotificationSettings,
  OriginSetting,
} from '@backstage/plugin-notifications-common';
import {
  NotificationsUserSettingsTable,
  UserSettingsRow,
} from './NotificationsUserSettingsTable';

/**
 * The channel name of this module. Users' notification settings name channels by their
 * processor's `getName()`; "Email" is the name Backstage's own email module uses, so settings
 * users made for it keep applying.
 */
export const EMAIL_CHANNEL = 'Email';

/** Answers which users have the Email channel on for a notification's origin and topic. */
export interface EmailChannelSettings {
  /** Why the settings cannot be read, or undefined when they can. */
  unreadableBecause(): Promise<string | undefined>;
  /** The users among `users` (user entity refs) who get emails from `origin` about `topic`. */
  enabledUsers(
    users: string[],
    origin: string,
    topic: string | null,
  ): Promise<Set<string>>;
}

/**
 * Whether a channel is on for one user, decided exactly as the notifications backend decides it
 * before it calls a processor for a user notification: the user's own settings for the channel,
 * else the portal's `notifications.defaultSettings`, else on.
 */
export function isChannelEnabled(options: {
  channel: string;
  origin: string;
  topic: string | null;
  userChannel?: ChannelSetting;
  defaultSettings?: NotificationSettings;
}): boolean {
  const { channel, origin, topic, userChannel, defaultSettings } = options;
  const defaultChannel = defaultSettings?.channels?.find(
    c => c.id.toLowerCase() === channel.toLowerCase(),
  );
  const effective: ChannelSetting = {
    id: channel,
    enabled: userChannel?.enabled ?? defaultChannel?.enabled,
    origins: [...(userChannel?.origins ?? [])],
  };
  if (defaultChannel?.origins && effective.enabled !== false) {
    for (const defaultOrigin of defaultChannel.origins) {
      if (
        !effective.origins.some(
          o => o.id.toLowerCase() === defaultOrigin.id.toLowerCase(),
        )
      ) {
        effective.origins.push(defaultOrigin);
      }
    }
  }
  return isNotificationsEnabledFor(
    { channels: [effective] },
    channel,
    origin,
    topic,
  );
}

function toChannelSetting(channel: string, rows: UserSettingsRow[]) {
  const origins = new Map<string, OriginSetting>();
  for (const row of rows) {
    let origin = origins.get(row.origin);
    if (!origin) {
      origin = { id: row.origin, enabled: true, topics: [] };
      origins.set(row.origin, origin);
    }
    if (row.topic === null) {
      origin.enabled = Boolean(row.enabled);
    } else if (!origin.topics!.some(t => t.id === row.topic)) {
      origin.topics!.push({ id: row.topic, enabled: Boolean(row.enabled) });
    }
  }
  return { id: channel, origins: [...origins.values()] };
}

/**
 * Reads users' Email channel settings from the notifications plugin's own `user_settings`
 * table. Only broadcasts need it: for user notifications the notifications backend checks the
 * setting itself before it calls the processor.
 */
export class DatabaseEmailChannelSettings implements EmailChannelSettings {
  constructor(
    private readonly table: NotificationsUserSettingsTable,
    private readonly defaultSettings?: NotificationSettings,
  ) {}

  unreadableBecause(): Promise<string | undefined> {
    return this.table.unreadableBecause();
  }

  async enabledUsers(
    users: string[],
    origin: string,
    topic: string | null,
  ): Promise<Set<string>> {
    const rowsByUser = new Map<string, UserSettingsRow[]>();
    for (const row of await this.table.rowsOf(users, EMAIL_CHANNEL)) {
      const key = row.user.toLowerCase();
      rowsByUser.set(key, [...(rowsByUser.get(key) ?? []), row]);
    }
    return new Set(
      users.filter(user => {
        const rows = rowsByUser.get(user.toLowerCase());
        return isChannelEnabled({
          channel: EMAIL_CHANNEL,
          origin,
          topic,
          userChannel: rows ? toChannelSetting(EMAIL_CHANNEL, rows) : undefined,
          defaultSettings: this.defaultSettings,
        });
      }),
    );
  }
}
