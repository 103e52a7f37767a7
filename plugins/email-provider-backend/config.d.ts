import type { HumanDuration } from '@backstage/types';

export interface Config {
  emailProvider?: {
    /**
     * Users and groups (entity refs such as `user:default/ada`, `group:default/platform-admins`)
     * who are email provider admins. When set, only they may use the admin routes and the page,
     * and the portal's permission policy can only narrow that. When not set, the portal's
     * permission policy alone decides (with create-app's allow-all policy, every signed-in user,
     * which the backend warns about at startup); with the permission framework off, nobody.
     */
    admins?: string[];

    /**
     * The portal's language, which the test email is written in: `en` (the default) or `pt-BR`
     * (`pt` also means `pt-BR`). Any other value gives English and a warning at startup.
     */
    locale?: string;

    /**
     * A provider pinned by configuration, in exactly the shape of a `PUT /settings` body. When
     * set, it is the active provider: anything saved in the database is deleted at startup, the
     * admin page shows it read-only, and `PUT`/`DELETE /settings` answer 409
     * (`managed-by-config`). Invalid settings stop the backend at startup. Remove the key (and
     * restart) to manage the provider in the page again, starting from none. Numbers and
     * booleans may be given as strings, as `${ENV}` substitution yields them.
     */
    managedSettings?: {
      /** `smtp`, `microsoft365` or `none` (sending switched off). */
      provider: string;
      smtp?: {
        host: string;
        port: number | string;
        /** `starttls`, `tls` or `none`. */
        security: string;
        /** `password` (the default) or `none`, for a relay that admits the portal by address. */
        authentication?: string;
        from: string;
        fromName?: string;
        usernameSameAsFrom?: boolean | string;
        username?: string;
        /** @visibility secret */
        password?: string;
      };
      microsoft365?: {
        from: string;
        tenantId: string;
        clientId: string;
        /** `global` (the default), `usgov-high`, `usgov-dod` or `china`. */
        cloud?: string;
        /** `secret` (the default) or `certificate`. */
        credential?: string;
        /** @visibility secret */
        clientSecret?: string;
        /** The client secret's expiry, as Entra shows it (`2027-06-30`). */
        clientSecretExpiresAt?: string;
        /**
         * The certificate and its unencrypted private key, PEM, with `credential: certificate`.
         * @visibility secret
         */
        clientCertificatePem?: string;
        largeMessages?: boolean | string;
      };
    };

    automation?: {
      /**
       * Service principals allowed the settings routes (`GET`/`PUT`/`DELETE /settings`,
       * `POST /verify`, `POST /test-email`) besides admins, from `backend.auth.externalAccess`:
       * a static token's `subject` as written (so write it `external:<name>`), `external:<sub>`
       * for a JWKS token, or `plugin:<id>` for a backend plugin.
       */
      allowedServices?: string[];
    };

    encryption?: {
      /**
       * Key that encrypts saved passwords and client secrets (AES-256-GCM), at least 32
       * characters. Generate one with `openssl rand -base64 32`. A key starting with
       * `development-only` is refused unless NODE_ENV is development (or test), and logged as a
       * warning when used.
       * @visibility secret
       */
      key?: string;
      /**
       * Older keys, still accepted for decrypting secrets saved before a key rotation. A save
       * re-encrypts with `key`.
       * @visibility secret
       */
      previousKeys?: string[];
    };

    /**
     * Durations here take Backstage's forms: an object such as `{ seconds: 30 }`, an ISO 8601
     * string such as `PT30S`, or `30s`.
     */
    delivery?: {
      /** Largest message accepted, bodies and decoded attachments together. Default 25. */
      maxMessageSizeMb?: number;
      /**
       * Largest request body of `POST /messages/batch` (`emailService.sendMany`), in MB of JSON,
       * attachments counted in base64; a larger body is refused with 413. Never less than one
       * message of `maxMessageSizeMb` takes. `sendMany` sends at most 40 MB at a time. Default 50.
       */
      maxBatchSizeMb?: number;
      /** Attempts before a message that keeps failing transiently is given up. Default 8. */
      maxAttempts?: number;
      /** First retry delay; each later one doubles, with jitter. Default 30 seconds. */
      retryDelay?: HumanDuration | string;
      /** Longest retry delay. Default 1 hour. */
      maxRetryDelay?: HumanDuration | string;
      /**
       * Longest wait a provider's Retry-After may impose; a longer one is cut to this. It holds
       * only messages for the mailbox that was throttled. Default 10 minutes.
       */
      maxRetryAfter?: HumanDuration | string;
      /**
       * While messages wait for a server they could not reach, one of them is tried this often
       * (all instances together); a failure to reach it costs that message no attempt. When one
       * gets through, all waiting messages are due at once. Default 2 seconds.
       */
      probeInterval?: HumanDuration | string;
      /**
       * On shutdown (SIGTERM), how long the messages being sent may take to finish; those still
       * out then are handed back to the other instances, due at once. The shutdown takes at most
       * five seconds more. Default 10 seconds.
       */
      shutdownGrace?: HumanDuration | string;
      /** A message still waiting (no provider, or retrying) after this fails as expired. Default 24 hours. */
      expireAfter?: HumanDuration | string;
      /** How long the metadata of sent and failed messages is kept. Default 30 days. */
      retention?: HumanDuration | string;
      /** How often an idle instance looks for due messages. Default 1 second. */
      pollInterval?: HumanDuration | string;
      /** How long a claim holds before another instance may take over the message. Default 2 minutes. */
      claimLease?: HumanDuration | string;
      /** @deprecated Use `retryDelay`. In ms. */
      retryDelayMs?: number;
      /** @deprecated Use `maxRetryDelay`. In ms. */
      maxRetryDelayMs?: number;
      /** @deprecated Use `maxRetryAfter`. In ms. */
      maxRetryAfterMs?: number;
      /** @deprecated Use `probeInterval`. In ms. */
      probeIntervalMs?: number;
      /** @deprecated Use `shutdownGrace`. In ms. */
      shutdownGraceMs?: number;
      /** @deprecated Use `expireAfter`. In hours. */
      expireAfterHours?: number;
      /** @deprecated Use `retention`. In days. */
      retentionDays?: number;
      /** @deprecated Use `pollInterval`. In ms. */
      pollIntervalMs?: number;
      /** @deprecated Use `claimLease`. In ms. */
      claimLeaseMs?: number;
      /** Megabytes of messages one instance holds while sending. Default 64. */
      maxInFlightMb?: number;
      smtp?: {
        /** SMTP connections kept open per instance. Default 5. */
        maxConnections?: number;
        /**
         * Messages being sent at once, all instances together, queued over the connections: enough
         * to keep them busy while claims and records make their round trips. Default 200.
         */
        maxInFlight?: number;
        /** Optional cap on messages a minute, all instances together. */
        messagesPerMinute?: number;
      };
      microsoft365?: {
        /** Graph requests at once for the mailbox, all instances together. Default 4 (Microsoft's limit). */
        maxConcurrentRequests?: number;
        /** Messages a minute for the mailbox, all instances together. Default 30 (Exchange Online's limit). */
        messagesPerMinute?: number;
      };
    };

    /**
     * What the email provider admins (`admins`) are told through Backstage's notifications, so
     * the bell shows it even when email is what broke: every provider change, a Microsoft 365
     * credential expiring in 30, 7 and 1 days and expired (checked daily), and delivery failing
     * and recovering. Each alert goes out once, however many instances run. Without the
     * notifications backend in the portal, or with nobody in `admins`, each is a warning in the
     * log instead.
     */
    alerts?: {
      /** Off: no alerts, neither notified nor logged. Default true. */
      enabled?: boolean;
      /**
       * Delivery is failing once this many messages failed for good (a permanent failure, all
       * attempts used, or expired) within `window`. Default 5.
       */
      failedMessages?: number;
      /** The window `failedMessages` counts in, such as `{ minutes: 30 }` or `PT30M`. Default 30 minutes. */
      window?: HumanDuration | string;
      /**
       * Delivery is failing once a message has waited this long to go out, counted from when it
       * was queued or retried. Raise it if the portal queues large batches that the provider's
       * pacing takes longer to send. Default 30 minutes.
       */
      queuedLongerThan?: HumanDuration | string;
      /** How often delivery is checked, by one instance at a time. Default 5 minutes. */
      checkInterval?: HumanDuration | string;
      /** @deprecated Use `window`. In minutes. */
      windowMinutes?: number;
      /** @deprecated Use `queuedLongerThan`. In minutes. */
      queuedLongerThanMinutes?: number;
      /** @deprecated Use `checkInterval`. In minutes. */
      checkIntervalMinutes?: number;
    };

    /** One-click unsubscribe (RFC 8058) of messages sent with `unsubscribe`. */
    unsubscribe?: {
      /**
       * How long the unsubscribe link in a message works, from when the message was sent, such
       * as `{ days: 60 }` or `P60D`. Default 60 days.
       */
      linkLifetime?: HumanDuration | string;
    };

    smtp?: {
      /**
       * The name the portal gives in EHLO. Relays often refuse a container's host name or
       * `localhost`; set the portal's public host name. A host name or an address literal
       * (`[192.0.2.1]`). Default: the machine's host name if it contains a dot, otherwise
       * `[127.0.0.1]` (nodemailer's rule).
       */
      ehloName?: string;
      /**
       * If set, the only SMTP servers admins may configure: host names, `*.example.com` for a
       * domain's hosts, or IP addresses. Link-local and cloud metadata addresses are refused
       * whatever this says.
       */
      allowedHosts?: string[];
    };

    microsoft365?: {
      /**
       * Microsoft Entra authority host, for every cloud (tests, proxies). Default: the host of
       * the cloud chosen in the settings (https://login.microsoftonline.com for global,
       * https://login.microsoftonline.us for US Government, https://login.chinacloudapi.cn for
       * China).
       */
      authorityHost?: string;
      /**
       * Microsoft Graph base URL, for every cloud (tests, proxies). Default: the cloud's
       * (https://graph.microsoft.com, https://graph.microsoft.us, https://dod-graph.microsoft.us,
       * https://microsoftgraph.chinacloudapi.cn).
       */
      graphBaseUrl?: string;
    };
  };
}
