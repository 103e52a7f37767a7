export interface Config {
  notifications?: {
    processors?: {
      /**
       * The email-provider module of the notifications backend
       * (`@email-provider/backstage-plugin-notifications-backend-module-email-provider`): sends notifications by
       * email through the portal's email provider. Users turn it off with the "Email" channel of
       * their notification settings.
       */
      emailProvider?: {
        broadcast?: {
          /**
           * Whether broadcast notifications are emailed to every catalog user with an email
           * address (`spec.profile.email`), except users who turned the Email channel off for the
           * sender. Default: false, broadcasts are shown in the portal only.
           */
          enabled?: boolean;
        };

        /**
         * Where the email footer sends users to turn these emails off: a path under
         * `app.baseUrl`, or an absolute http(s) URL. Default: `/settings/notifications`, where
         * Backstage apps usually show the notification settings (`UserNotificationSettingsCard`).
         */
        settingsUrl?: string;

        /**
         * If set, only addresses matching one of these patterns get notification emails (single
         * notifications, broadcasts and digests); the others are skipped. A pattern is an address
         * where `*` stands for any characters (never `@`), matched against the whole address
         * without regard to case: `*@acme.test`, `ada@acme.com`, `*@*.staging.acme.com`. A bad
         * pattern stops the backend at startup. Useful on staging portals.
         */
        allowlistEmailAddresses?: string[];

        /**
         * Addresses matching one of these patterns (as in `allowlistEmailAddresses`) never get
         * notification emails, even when the allowlist has them.
         */
        denylistEmailAddresses?: string[];

        /**
         * Digests: a user's less severe notifications are collected and emailed together, one
         * digest email per user and schedule interval, instead of one email each.
         */
        digest?: {
          /** Whether digests are sent. Default: false, every notification is emailed at once. */
          enabled?: boolean;
          /**
           * Notifications less severe than this wait for the digest; this severity and above are
           * emailed at once. Default: `high` (low and normal notifications are digested).
           */
          severityBelow?: 'normal' | 'high' | 'critical';
          /**
           * When digests are sent, as a scheduler schedule: e.g. `frequency: { hours: 1 }`, or
           * `frequency: { cron: '0 9 * * *' }` for every day at 09:00. `timeout` defaults to
           * 10 minutes. Default: hourly. The task always runs on one replica at a time.
           */
          schedule?: {
            frequency:
              | { cron: string }
              | string
              | import('@backstage/types').HumanDuration
              | { trigger: 'manual' };
            timeout?: string | import('@backstage/types').HumanDuration;
            initialDelay?: string | import('@backstage/types').HumanDuration;
          };
          /**
           * How many notifications one digest email lists (1 to 500); the rest are counted, with
           * a link to the notifications page. Default: 20.
           */
          maxItems?: number;
        };

        /**
         * Which notifications are emailed at all, as in Backstage's own email module.
         */
        filter?: {
          /** Email only notifications at least this severe. */
          minSeverity?: 'critical' | 'high' | 'normal' | 'low';
          /** Email only notifications at most this severe. */
          maxSeverity?: 'critical' | 'high' | 'normal' | 'low';
          /** Never email notifications of these topics. */
          excludedTopics?: string[];
          /** If set, email only notifications of these topics. */
          includedTopics?: string[];
        };
      };
    };
  };
}
