export interface Config {
  emailProvider?: {
    /**
     * Users and groups (entity refs such as `user:default/ada`, `group:default/platform-admins`)
     * who are email provider admins. The app's permission policy grants them the email-provider
     * permissions; with the permission framework switched off, the admin routes admit only them.
     */
    admins?: string[];

    encryption?: {
      /**
       * Key that encrypts saved passwords and client secrets (AES-256-GCM), at least 32
       * characters. Generate one with `openssl rand -base64 32`. A key starting with
       * `development-only` is refused when NODE_ENV is production.
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

    smtp?: {
      /**
       * If set, the only SMTP servers admins may configure: host names, `*.example.com` for a
       * domain's hosts, or IP addresses. Link-local and cloud metadata addresses are refused
       * whatever this says.
       */
      allowedHosts?: string[];
    };

    microsoft365?: {
      /** Microsoft Entra authority host. Default: https://login.microsoftonline.com */
      authorityHost?: string;
      /** Microsoft Graph base URL. Default: https://graph.microsoft.com */
      graphBaseUrl?: string;
    };
  };
}
