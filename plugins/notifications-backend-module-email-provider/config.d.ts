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

        // SECTION digest (digest helper)
        // END SECTION digest

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
