import { createTranslationRef } from '@backstage/frontend-plugin-api';

/** The English messages; `emailProviderTranslationRef` is the public way to them. */
export const emailProviderMessages = {
  // SECTION page (page shell, access, sidebar item, credential expiry)
  page: {
    title: 'Email provider',
    subtitle: 'How the portal sends its email: SMTP, Microsoft 365 or none',
    tabs: {
      settings: 'Settings',
      deliveries: 'Deliveries',
    },
    sidebarItem: 'Email provider',
    adminsNote: {
      configured:
        "Email provider admins are set in {{adminsKey}} in the portal's configuration: only the users and groups listed there may see and change these settings, and the portal's permission policy can narrow that further.",
      notConfigured:
        "No email provider admins are set in {{adminsKey}}: the portal's permission policy alone decides who may see and change these settings, and with the allow-all policy a new portal starts with, that is every signed-in user. List the admins in {{adminsKey}} in the portal's configuration.",
    },
    // The end of a not-allowed sentence, after "that needs the … permission, and".
    whoDecides: {
      configured:
        'only the email provider admins listed in {{adminsKey}} have it. Ask one of them if you need a change.',
      notConfigured:
        "nobody is listed in {{adminsKey}}, so the portal's permission policy decides who has it. Ask the portal's administrators if you need a change.",
    },
    // By credential, then by where it is renewed: on the page, or in the configuration
    // (`configKey`). A day count of 0 or 1 reads "today" or "tomorrow".
    credentialExpiry: {
      secret: {
        renewHere: {
          expired:
            'The client secret expired on {{day}}: Microsoft 365 refuses it, so the portal sends no email. To send again, create a new one in Entra and paste it here.',
          expiresToday:
            'The client secret expires on {{day}}, today: create a new one in Entra and paste it here.',
          expiresTomorrow:
            'The client secret expires on {{day}}, tomorrow: create a new one in Entra and paste it here.',
          expiresInDays_one:
            'The client secret expires on {{day}}, in {{count}} day: create a new one in Entra and paste it here.',
          expiresInDays_other:
            'The client secret expires on {{day}}, in {{count}} days: create a new one in Entra and paste it here.',
        },
        renewInConfig: {
          expired:
            "The client secret expired on {{day}}: Microsoft 365 refuses it, so the portal sends no email. To send again, create a new one in Entra, set it in the configuration ({{configKey}}) and restart the portal's backend.",
          expiresToday:
            "The client secret expires on {{day}}, today: create a new one in Entra, set it in the configuration ({{configKey}}) and restart the portal's backend.",
          expiresTomorrow:
            "The client secret expires on {{day}}, tomorrow: create a new one in Entra, set it in the configuration ({{configKey}}) and restart the portal's backend.",
          expiresInDays_one:
            "The client secret expires on {{day}}, in {{count}} day: create a new one in Entra, set it in the configuration ({{configKey}}) and restart the portal's backend.",
          expiresInDays_other:
            "The client secret expires on {{day}}, in {{count}} days: create a new one in Entra, set it in the configuration ({{configKey}}) and restart the portal's backend.",
        },
      },
      certificate: {
        renewHere: {
          expired:
            'The certificate expired on {{day}}: Microsoft 365 refuses it, so the portal sends no email. To send again, create a new one, upload it to the app in Entra and paste it here with its private key.',
          expiresToday:
            'The certificate expires on {{day}}, today: create a new one, upload it to the app in Entra and paste it here with its private key.',
          expiresTomorrow:
            'The certificate expires on {{day}}, tomorrow: create a new one, upload it to the app in Entra and paste it here with its private key.',
          expiresInDays_one:
            'The certificate expires on {{day}}, in {{count}} day: create a new one, upload it to the app in Entra and paste it here with its private key.',
          expiresInDays_other:
            'The certificate expires on {{day}}, in {{count}} days: create a new one, upload it to the app in Entra and paste it here with its private key.',
        },
        renewInConfig: {
          expired:
            "The certificate expired on {{day}}: Microsoft 365 refuses it, so the portal sends no email. To send again, create a new one, upload it to the app in Entra, set it in the configuration ({{configKey}}) and restart the portal's backend.",
          expiresToday:
            "The certificate expires on {{day}}, today: create a new one, upload it to the app in Entra, set it in the configuration ({{configKey}}) and restart the portal's backend.",
          expiresTomorrow:
            "The certificate expires on {{day}}, tomorrow: create a new one, upload it to the app in Entra, set it in the configuration ({{configKey}}) and restart the portal's backend.",
          expiresInDays_one:
            "The certificate expires on {{day}}, in {{count}} day: create a new one, upload it to the app in Entra, set it in the configuration ({{configKey}}) and restart the portal's backend.",
          expiresInDays_other:
            "The certificate expires on {{day}}, in {{count}} days: create a new one, upload it to the app in Entra, set it in the configuration ({{configKey}}) and restart the portal's backend.",
        },
      },
    },
  },
  // END page
  // SECTION fields (provider fields, their help and client-side validation)
  fields: {
    provider: {
      none: 'None',
      smtp: 'SMTP',
      microsoft365: 'Microsoft 365',
    },
    security: {
      starttls: 'StartTLS',
      tls: 'SSL/TLS',
      none: 'None',
    },
    cloud: {
      global: 'Global',
      'usgov-high': 'US Government (GCC High)',
      'usgov-dod': 'US Government (DoD)',
      china: 'China (21Vianet)',
    },
    credential: {
      secret: 'Secret',
      certificate: 'Certificate',
    },
    // The settings as a short phrase: `SMTP (smtp.example.com:587, StartTLS)`.
    summary: {
      smtp: 'SMTP ({{host}}:{{port}}, {{security}})',
      smtpWithoutAuthentication:
        'SMTP ({{host}}:{{port}}, {{security}}, no authentication)',
      noEncryption: 'no encryption',
      microsoft365: 'Microsoft 365 ({{from}})',
    },
    smtp: {
      host: {
        label: 'Server address',
        help: 'Host name or IP address of the SMTP server, for example smtp.gmail.com or smtp.office365.com.',
      },
      port: {
        label: 'Port',
        help: 'Usually 587 (StartTLS), 465 (SSL/TLS) or 25 (None).',
        // Put before the help, hence the trailing space.
        otherSecurityExpected:
          'Port {{port}} usually expects {{expected}}, not {{chosen}}. ',
      },
      security: {
        label: 'Security',
        help: {
          starttls:
            'Switches to TLS before signing in; never goes on without it.',
          tls: 'Encrypted from the first byte (SMTPS).',
          none: 'No encryption, the password included: only on a trusted network.',
        },
      },
      from: {
        label: 'Sender email address',
        help: 'The address every portal email comes from; the server must allow this account to send as it.',
      },
      fromName: {
        label: 'Sender name',
        help: 'Optional: the name recipients see, for example ACME Portal.',
      },
      authentication: {
        label: 'Server requires authentication',
        helpOn:
          'The portal signs in with a username and password. Untick for a relay that admits the portal by its network address instead.',
        helpOff:
          "No username or password is sent: for a relay that admits the portal by its network address (an internal Postfix, an Exchange connector, Google's SMTP relay with IP allow-listing).",
      },
      usernameSameAsFrom: {
        label: 'Same as sender email address',
      },
      username: {
        label: 'Username',
        help: 'The login of the SMTP account: an address or a plain login name such as an Amazon SES access key.',
        helpSameAsFrom:
          'Signs in as the sender email address. Untick "{{sameAsFrom}}" to sign in with another username.',
      },
      password: {
        label: 'Password',
        // Put before "Stored encrypted and never shown again.", hence the trailing space.
        help: 'For Gmail and Google Workspace, an app password. ',
        authenticationEnabled:
          'Enter the password: the saved settings send no authentication, so no password is saved.',
      },
    },
    microsoft365: {
      // `application` is the bold word "application", `permission` the code `Mail.Send`.
      intro:
        'The portal sends as a mailbox of your tenant through Microsoft Graph, signing in as an app registration of Microsoft Entra with a client secret or a certificate. The app needs the Microsoft Graph {{application}} permission {{permission}} with admin consent (Entra admin center → App registrations → your app → API permissions → Grant admin consent). To limit which mailboxes it may send as, add an Exchange application access policy.',
      introApplication: 'application',
      from: {
        label: 'Sender email address',
        help: 'The mailbox the portal sends as: a user principal name such as reports@contoso.onmicrosoft.com, with an Exchange Online mailbox (a shared mailbox works).',
      },
      tenantId: {
        label: 'Tenant ID',
        help: 'Entra admin center → Overview → Tenant ID (a GUID), or a verified domain such as contoso.onmicrosoft.com.',
      },
      clientId: {
        label: 'Client ID',
        help: 'App registrations → your app → Overview → Application (client) ID, a GUID.',
      },
      cloud: {
        label: 'Cloud',
        help: 'Where the tenant lives: Global for most tenants. US Government and China tenants sign in and send through their own Microsoft hosts.',
      },
      credential: {
        label: 'Credential',
        help: {
          secret:
            'A client secret of the app registration. Tenants that forbid client secrets use a certificate.',
          certificate:
            'A certificate whose private key signs the sign-in, as Microsoft recommends; the app in Entra has the certificate, the portal its private key.',
        },
      },
      clientSecret: {
        label: 'Client secret',
        // Put before "Stored encrypted and never shown again.", hence the trailing space.
        help: "App registrations → your app → Certificates & secrets: the secret's Value (shown once, when it is created), not its Secret ID. ",
        credentialChanged:
          'Enter a client secret: the saved settings sign in with a certificate, which saving deletes. Stored encrypted and never shown again.',
      },
      clientSecretExpiresAt: {
        label: 'Secret expires',
        help: 'Optional: copy it from the Expires column in Entra (App registrations → your app → Certificates & secrets), and the page warns 30 days before the secret expires.',
      },
      clientCertificatePem: {
        label: 'Certificate and private key (PEM)',
        // Put before "Stored encrypted and never shown again.", hence the trailing space.
        help: 'The certificate (-----BEGIN CERTIFICATE-----) followed by its private key (-----BEGIN PRIVATE KEY-----, without a passphrase); upload the certificate alone to the app in Entra → Certificates & secrets. ',
        credentialChanged:
          'Paste the certificate and its private key: the saved settings sign in with a client secret, which saving deletes. Stored encrypted and never shown again.',
        // The saved certificate, as the admin can compare it with the one Entra lists.
        savedDetails:
          'Thumbprint {{thumbprint}}, subject {{subject}}, expires on {{day}}.',
      },
      largeMessages: {
        label: 'Send large messages (over 3 MB) through upload sessions',
        help: 'Needs the Mail.ReadWrite application permission in addition to Mail.Send',
      },
    },
    // A write-only secret field; `details` is empty or starts with a space.
    secret: {
      savedPlaceholder: '•••••••• saved',
      setPlaceholder: '•••••••• set',
      setInConfig:
        'Set in the configuration: {{key}} (never shown).{{details}}',
      notSetInConfig: 'Not set in the configuration ({{key}}).',
      storedEncrypted: '{{help}}Stored encrypted and never shown again.',
      password: {
        saved:
          'A password is saved.{{details}} Leave this empty to keep it, or type a new one to replace it.',
        enterAgain:
          'Enter the password again: the server address, port, security or username changed, and a saved password is never sent to a new destination.',
      },
      clientSecret: {
        saved:
          'A client secret is saved.{{details}} Leave this empty to keep it, or type a new one to replace it.',
        enterAgain:
          'Enter the client secret again: the tenant ID, client ID or cloud changed, and a saved client secret is never sent to a new destination.',
      },
      certificate: {
        saved:
          'A certificate is saved.{{details}} Leave this empty to keep it, or type a new one to replace it.',
        enterAgain:
          'Enter the certificate again: the tenant ID, client ID or cloud changed, and a saved certificate is never sent to a new destination.',
      },
    },
    // The form's own checks. The secret sentences are those of the shared rule in -common
    // (`secretRequiredIssue`), by field and reason; the backend answers with the same.
    errors: {
      portNotWholeNumber: 'Port must be a whole number between 1 and 65535',
      // The sentences of the shared schema (-common) that the form can run into.
      schema: {
        hostRequired: 'Server address is required',
        hostInvalid:
          'Server address must be a host name or an IP address, without scheme, port, path or spaces (for example smtp.example.com)',
        portRequired: 'Port is required',
        portOutOfRange: 'Port must be between 1 and 65535',
        fromRequired: 'Sender email address is required',
        fromTooLong: 'Sender email address must be at most 254 characters',
        fromInvalid:
          'Sender email address must be a single plain address such as name@example.com, without a display name, comments or quotes',
        fromNameTooLong: 'Sender name must be at most 200 characters',
        fromNameNotOneLine:
          'Sender name must be a single line without control characters',
        usernameRequired:
          'Username is required unless it is the sender email address',
        usernameTooLong: 'Username must be at most 254 characters',
        usernameInvalid:
          'Username must be a single plain address (name@example.com) or a login name, without spaces, quotes, angle brackets or a display name',
        passwordTooLong: 'Password must be at most 1024 characters',
        passwordControlCharacters:
          'Password must not contain line breaks or control characters',
        tenantIdRequired: 'Tenant ID is required',
        tenantIdInvalid:
          'Tenant ID must be the directory (tenant) ID, a GUID such as 8f3e0e0c-1d2b-4a5c-9e7f-0a1b2c3d4e5f, or a verified domain such as contoso.onmicrosoft.com',
        clientIdRequired: 'Client ID is required',
        clientIdInvalid:
          'Client ID must be the application (client) ID, a GUID such as 8f3e0e0c-1d2b-4a5c-9e7f-0a1b2c3d4e5f',
        clientSecretTooLong: 'Client secret must be at most 1024 characters',
        clientSecretControlCharacters:
          'Client secret must not contain line breaks or control characters',
        clientSecretExpiresAtInvalid:
          'Client secret expiry must be a date such as 2027-06-30',
        certificateTooLong:
          'Certificate and private key must be at most 32768 characters',
        certificateWithoutCertificate:
          'Certificate and private key must contain the certificate, from -----BEGIN CERTIFICATE----- to -----END CERTIFICATE-----',
        certificateEncryptedKey:
          'The private key must not be protected by a passphrase; export it without one',
        certificateWithoutPrivateKey:
          'Certificate and private key must contain the private key, from -----BEGIN PRIVATE KEY----- to -----END PRIVATE KEY-----',
      },
      secretRequired: {
        password: {
          missing: 'Password is required to activate SMTP',
          'destination-changed':
            'Password is required: the server address, port, security or username changed, and a saved password is never sent to a new destination',
          'authentication-enabled':
            'Password is required: the saved settings send no authentication, so no password is saved',
        },
        clientSecret: {
          missing: 'Client secret is required to activate Microsoft 365',
          'destination-changed':
            'Client secret is required: the tenant ID, client ID or cloud changed, and a saved secret is never sent to another application or cloud',
          'credential-changed':
            'Client secret is required: the saved settings sign in with a certificate, not a client secret',
        },
        certificate: {
          missing:
            'Certificate and private key are required to activate Microsoft 365',
          'destination-changed':
            'Certificate and private key are required: the tenant ID, client ID or cloud changed, and a saved certificate is never sent to another application or cloud',
          'credential-changed':
            'Certificate and private key are required: the saved settings sign in with a client secret, not a certificate',
        },
      },
    },
  },
  // END fields
  // SECTION settings (editor flow, status, confirmations, test email, connection check)
  settings: {
    notAllowed: {
      title: 'Not allowed',
      // `whoDecides` is the page's sentence end on who has the permission.
      body: 'You are not allowed to see the email provider settings: that needs the {{permission}} permission, and {{whoDecides}}',
    },
    title: 'Outgoing email',
    loadFailed: 'The email provider settings could not be loaded: {{message}}',
    tryAgain: 'Try again',
    formLabel: 'Email provider settings',
    provider: 'Provider',
    readOnly:
      'You can see these settings but not change them: that needs the {{permission}} permission, which email provider admins have.',
    noProvider: {
      nothingSaved:
        'No provider: the portal sends no email. Choose SMTP or Microsoft 365 to set one up.',
      deletesSaved:
        'Saving {{none}} deletes the saved {{provider}} settings and stops all email from the portal.',
    },
    save: 'Save',
    checkConnection: 'Check connection',
    sendTestEmail: 'Send test email',
    working: 'Working',
    saved: {
      active: 'Saved: {{settings}} is the active provider.',
      deleted:
        'Saved: all email settings were deleted and no provider is active.',
    },
    problem: {
      invalid: {
        save_zero: 'The settings were not saved: 0 fields need attention.',
        save_one: 'The settings were not saved: one field needs attention.',
        save_other:
          'The settings were not saved: {{count}} fields need attention.',
        check_zero: 'The connection was not checked: 0 fields need attention.',
        check_one: 'The connection was not checked: one field needs attention.',
        check_other:
          'The connection was not checked: {{count}} fields need attention.',
      },
      refused: 'The server refused the settings; nothing was saved.',
      notSaved: 'The settings were not saved.',
    },
    conflict: {
      heading: 'Someone else changed the settings',
      body: '{{heading}} while you were editing; nothing was saved. Reload to see their changes (what you typed here will be replaced). {{message}}',
      reload: 'Reload',
    },
    takenOverByConfig: {
      heading: 'Nothing was saved',
      body: "{{heading}}: the portal's configuration now sets the email provider ({{key}}), so it cannot be changed on this page. The form shows the configured settings; what you typed was discarded.",
    },
    status: {
      noneHeading: 'No email provider is active',
      none: '{{heading}}: the portal sends no email.',
      noneByConfig:
        "{{heading}}: sending is switched off by the portal's configuration.",
      active: 'Active: {{settings}}',
      activeByConfig: "{{active}}, set by the portal's configuration.",
      activeSince: '{{active}}, since {{time}}, changed by {{user}}.',
    },
    managedByConfig: {
      fieldHelp: 'Set in the configuration: {{key}}',
      off: {
        heading: "Sending is switched off by the portal's configuration",
        body: "{{heading}}: {{key}} in app-config sets the provider to none, so the portal sends no email. This cannot be changed on this page: to send email, change the configuration and restart the portal's backend.",
      },
      pinned: {
        heading: "These settings come from the portal's configuration",
        body: "{{heading}}: {{key}} in app-config; each field names its key. They cannot be changed on this page: to change them, change the configuration and restart the portal's backend.",
      },
    },
    confirm: {
      cancel: 'Cancel',
      deleteAll: {
        title: 'Delete all email settings?',
        body: {
          plain:
            'All saved settings will be deleted: {{settings}}. The portal sends no email until a provider is saved again.',
          password:
            'All saved settings will be deleted: {{settings}} with its password. The portal sends no email until a provider is saved again.',
          clientSecret:
            'All saved settings will be deleted: {{settings}} with its client secret. The portal sends no email until a provider is saved again.',
          certificate:
            'All saved settings will be deleted: {{settings}} with its certificate and private key. The portal sends no email until a provider is saved again.',
        },
        confirm: 'Delete all settings',
      },
      switch: {
        title: 'Switch to {{next}}?',
        body: {
          plain:
            'Saving activates {{next}} and deletes the saved {{current}} settings: {{settings}}. Switching back later means entering them again.',
          password:
            'Saving activates {{next}} and deletes the saved {{current}} settings: {{settings}} with its password. Switching back later means entering them again.',
          clientSecret:
            'Saving activates {{next}} and deletes the saved {{current}} settings: {{settings}} with its client secret. Switching back later means entering them again.',
          certificate:
            'Saving activates {{next}} and deletes the saved {{current}} settings: {{settings}} with its certificate and private key. Switching back later means entering them again.',
        },
        confirm: 'Delete {{current}} settings and switch',
      },
    },
    unsavedChanges: {
      title: 'Leave without saving?',
      body: 'The email provider settings have unsaved changes; leaving this page discards them.',
      leave: 'Leave',
      stay: 'Stay',
    },
    testEmail: {
      title: 'Send a test email',
      noProvider:
        'No email provider is saved yet: save SMTP or Microsoft 365 settings first.',
      throughSaved:
        'The test email goes out now through the saved settings: {{settings}}.',
      throughConfig:
        "The test email goes out now through the settings from the portal's configuration: {{settings}}.",
      unsavedChanges:
        'The form has unsaved changes; the test uses the saved settings. Save first to test your changes.',
      recipient: 'Recipient',
      recipientHelp: 'The address that should receive the test email.',
      recipientRequired: 'Recipient is required',
      recipientTooLong: 'Recipient must be at most {{max, number}} characters',
      recipientInvalid:
        'Recipient must be a single plain address such as name@example.com, without a display name, comments or quotes',
      recipientRefused: 'The server refused the recipient: {{message}}',
      sending: 'Sending…',
      sent: {
        heading: 'Test email sent.',
        body: "{{heading}} The provider accepted it in {{durationMs, number}} ms; message ID {{messageId}}. Check the recipient's inbox, and the spam folder.",
      },
      notSent: {
        heading: 'The test email was not sent.',
        body: '{{heading}} {{reason}}',
      },
      refused: {
        rateLimited: 'Rate limited: too many test emails.',
        noActiveProvider: 'No email provider is active.',
        noActiveProviderHelp:
          'Save SMTP or Microsoft 365 settings first, then send the test email.',
        notAllowed: 'Not allowed.',
        notSent: 'The test email was not sent.',
        body: '{{heading}} {{message}}',
      },
      close: 'Close',
      send: 'Send',
    },
    connectionCheck: {
      running: {
        saved: 'Checking the connection of the saved settings…',
        draft: 'Checking the connection of the unsaved settings…',
        config:
          'Checking the connection of the settings from the configuration…',
      },
      heading: {
        saved: 'Connection check of the saved settings',
        draft: 'Connection check of the unsaved settings',
        config: 'Connection check of the settings from the configuration',
      },
      notChecked: 'The connection was not checked: {{message}}',
      noProviderChosen:
        'The connection was not checked: Choose SMTP or Microsoft 365 to check a connection.',
      noProviderSaved:
        'The connection was not checked: No email provider is saved: choose SMTP or Microsoft 365 and fill in its settings to check them.',
      works: 'The connection works: every step passed. Nothing was sent.',
      failed: 'The connection check failed.',
      failedAt: 'The connection check failed at "{{step}}".',
      failedAtBecause: 'The connection check failed at "{{step}}": {{reason}}',
      stepsLabel: 'Connection check steps',
      step: {
        passed: '{{step}}: passed ({{durationMs, number}} ms)',
        failed: '{{step}}: failed ({{durationMs, number}} ms)',
        skipped: '{{step}}: skipped ({{durationMs, number}} ms)',
      },
      outcome: {
        passed: 'passed',
        failed: 'failed',
        skipped: 'skipped',
      },
      steps: {
        dns: 'Server address lookup',
        connect: 'Connection',
        tls: 'TLS',
        smtp: 'SMTP greeting',
        login: 'Sign-in',
        token: 'Access token from Microsoft Entra',
        permission: 'Mail.Send permission',
        largeMessages: 'Mail.ReadWrite permission for large messages',
      },
    },
    failureDetails: {
      code: 'Code {{code}}.',
      codeTransient:
        'Code {{code}}: a temporary problem, trying again later may help.',
      providerReply: 'The server answered: {{reply}}',
    },
    deliveryHints: {
      title: 'Delivery',
      spf: {
        heading: 'Keep mail out of spam folders.',
        body: "{{heading}} The sender address's domain must allow the servers that send for it: add your SMTP server's or relay's sending IP addresses (or its {{include}}) to the domain's SPF record, for Microsoft 365 {{microsoftInclude}}, and turn on DKIM signing where the provider offers it.",
      },
      limits: {
        heading: 'Microsoft limits how much one mailbox may send:',
        body: '{{heading}} 30 messages a minute and 10,000 recipients a day. The portal paces its mail to stay under them, so a large batch takes a while.',
      },
      docsLink: 'How the portal delivers mail',
    },
  },
  // END settings
  // SECTION deliveries (Deliveries tab)
  deliveries: {
    status: {
      queued: 'Queued',
      sending: 'Sending',
      sent: 'Sent',
      failed: 'Failed',
      suppressed: 'Suppressed',
    },
    notAllowed: {
      title: 'Not allowed',
      // `whoDecides` is the page's sentence end on who has the permission.
      body: 'You are not allowed to see the delivery log: that needs the {{permission}} permission, and {{whoDecides}}',
    },
    summary: {
      title: 'Delivery health',
      lastSuccess: 'Last success',
      noSuccess: 'None yet',
      lastFailure: 'Last failure',
      noFailure: 'None',
      waiting: 'Messages waiting',
      failedLast24Hours: 'Failed in the last 24 hours',
      secretExpires: 'Client secret expires',
      certificateExpires: 'Certificate expires',
      expiresToday: 'today',
      expiresTomorrow: 'tomorrow',
      expiresIn_one: 'in {{count}} day',
      expiresIn_other: 'in {{count}} days',
      expiredToday: 'expired today',
      expiredYesterday: 'expired yesterday',
      expiredAgo_one: 'expired {{count}} day ago',
      expiredAgo_other: 'expired {{count}} days ago',
    },
    chart: {
      titleHour: 'Messages per hour',
      titleDay: 'Messages per day',
      period: 'Chart period',
      lastHours: 'Last 24 hours',
      lastDays: 'Last 30 days',
      showAsTable: 'Show as table',
      sent: 'Sent',
      failed: 'Failed',
      waiting: 'Waiting',
      tooltipCounts: 'Sent {{sent}}, failed {{failed}}, waiting {{waiting}}',
      failureCodes: 'Failure codes:',
      clickBar: 'Click to show these messages',
      hint: '{{chart}}. Click a bar to show its messages in the log below; Show as table lists the numbers.',
      loadError: 'The chart could not be loaded: {{error}}',
      refreshError:
        'The chart could not be refreshed: {{error}}. It shows what was read before.',
    },
    statsTable: {
      labelHour: 'Messages per hour, last 24 hours',
      labelDay: 'Messages per day, last 30 days',
      hour: 'Hour',
      day: 'Day',
      sent: 'Sent',
      failed: 'Failed',
      waiting: 'Waiting',
      failureCodes: 'Failure codes',
      messages: 'Messages',
      showMessages: 'Show messages',
    },
    log: {
      // The card's title, and the name of its table of messages.
      title: 'Recent messages',
      loadError: 'The delivery log could not be loaded: {{error}}',
      tryAgain: 'Try again',
      // The close button of the retry's outcome and of the export's error.
      close: 'Close',
      refresh: 'Refresh',
      refreshing: 'Refreshing…',
      updated_one: 'Updated at {{time}}; refreshes every second',
      updated_other: 'Updated at {{time}}; refreshes every {{count}} seconds',
      retryNeedsPermission:
        'Retrying a failed message needs the {{permission}} permission, which email provider admins have.',
      refreshError:
        'The delivery log could not be refreshed: {{error}}. It shows what was read before.',
      retryQueued: 'Queued again: “{{subject}}” will be sent shortly.',
      retryFailed: '“{{subject}}” was not retried: {{error}}',
      emptyFiltered: 'No messages match these filters.',
      emptyLog: 'No messages yet: no plugin has sent email through the portal.',
      emptyQueued: 'No queued messages.',
      emptySending: 'No sending messages.',
      emptySent: 'No sent messages.',
      emptyFailed: 'No failed messages.',
      emptySuppressed: 'No suppressed messages.',
    },
    // Said by a live region when messages of the page shown change status.
    announcements: {
      changed_one: '{{count}} message changed status.',
      changed_other: '{{count}} messages changed status.',
      nowQueued: '“{{subject}}” is now queued.',
      nowSending: '“{{subject}}” is now sending.',
      nowSent: '“{{subject}}” is now sent.',
      nowFailed: '“{{subject}}” is now failed.',
      nowSuppressed: '“{{subject}}” was not sent: the recipient unsubscribed.',
    },
    pager: {
      rowsPerPage: 'Rows per page',
      rowsPerPageLabel: 'Rows per page:',
      previousPage: 'Previous page',
      nextPage: 'Next page',
      rows: '{{first}}–{{last}} of {{total}}',
      rowsOfMoreThan: '{{first}}–{{last}} of more than {{total}}',
      noRows: '0 of {{total}}',
      noRowsOfMoreThan: '0 of more than {{total}}',
    },
    table: {
      time: 'Time',
      caller: 'Caller',
      category: 'Category',
      subject: 'Subject',
      recipients: 'Recipients',
      status: 'Status',
      attempts: 'Attempts',
      lastError: 'Last error',
      sentAt: 'sent {{time}}',
      nextAttemptAt: 'next attempt {{time}}',
      noCategory: 'none',
      retry: 'Retry',
      retrying: 'Retrying…',
      errorCode: 'Code {{code}}',
      errorCodeAndReply: 'Code {{code}}; the server answered {{reply}}',
      // Why a suppressed message was not sent, in the Last error column.
      suppressedReason: 'Not sent: the recipient unsubscribed.',
    },
    filters: {
      status: 'Status',
      allStatuses: 'All',
      recipient: 'Recipient',
      recipientHint:
        'The whole address: the log keeps only a keyed hash of each address',
      recipientInvalid:
        'Recipient must be a single plain address such as name@example.com, without a display name, comments or quotes',
      recipientTooLong: 'Recipient must be at most {{max}} characters',
      caller: 'Caller',
      category: 'Category',
      subjectWords: 'Subject words',
      from: 'From',
      to: 'To',
      clear: 'Clear filters',
      createdBetween: 'Created from {{from}} to {{to}}',
      createdFrom: 'Created from {{from}}',
      createdBefore: 'Created before {{to}}',
      removeTimeFilter: 'Remove the time filter: {{range}}',
      serverError: 'The log could not be filtered: {{error}}',
    },
    export: {
      button: 'Export CSV',
      exporting: 'Exporting…',
      error: 'The delivery log could not be exported: {{error}}',
    },
    // The addresses that unsubscribed (one click on a message's unsubscribe link), below the log.
    suppressions: {
      // The card's title, and the name of its table.
      title: 'Suppressed addresses',
      description:
        'Addresses that unsubscribed with the link in a message. The portal sends them no more messages of that plugin and list: such messages show as Suppressed in the log. Remove a suppression only when the person asked to receive those messages again.',
      address: 'Address',
      addressHint: 'The whole address, such as name@example.com',
      addressInvalid:
        'Address must be a single plain address such as name@example.com, without a display name, comments or quotes',
      addressTooLong: 'Address must be at most {{max}} characters',
      search: 'Search',
      clearSearch: 'Show all',
      unsubscribedFrom: 'Unsubscribed from',
      // Under a description, or alone when the message had none: the list's technical name.
      listName: 'list {{list}}',
      caller: 'Sending plugin',
      source: 'Source',
      sourceOneClick: 'One click in the mail client',
      sourceConfirmationPage: 'Unsubscribe page',
      unsubscribedAt: 'Unsubscribed on',
      actions: 'Actions',
      remove: 'Remove',
      removeLabel: 'Remove suppression of {{address}}',
      confirmTitle: 'Remove the suppression of {{address}}?',
      confirmBody:
        '{{address}} will get the messages of “{{what}}” from {{caller}} again. They unsubscribed on {{date}}: remove the suppression only if they asked for these messages again.',
      removed:
        'Suppression removed: {{address}} will get the messages of “{{what}}” from {{caller}} again.',
      removeFailed: 'The suppression of {{address}} was not removed: {{error}}',
      removeNeedsPermission:
        'Removing a suppression needs the {{permission}} permission, which email provider admins have.',
      empty: 'No address has unsubscribed.',
      emptyForAddress:
        'No suppression for {{address}}: it has not unsubscribed from anything.',
      loadError: 'The suppressed addresses could not be loaded: {{error}}',
      searchError: 'The suppressed addresses could not be searched: {{error}}',
      rows: '{{first}}–{{last}}',
      previousPage: 'Previous page of suppressed addresses',
      nextPage: 'Next page of suppressed addresses',
    },
  },
  // END deliveries
  // SECTION failures (failure sentences by code)
  // The backend's own sentences, by code and the `reason` of their params (see
  // EmailFailureParams); `withReply` when the server gave a reply code, `retryIn` when the
  // service said how long to wait.
  failures: {
    services: {
      entra: 'The Microsoft Entra token endpoint at {{url}}',
      graph: 'Microsoft Graph at {{url}}',
      uploadSession: 'The upload session at {{url}}',
    },
    authFailed: {
      rejected:
        'The server rejected the username or password. Check both; providers such as Gmail and Microsoft 365 need an app password or SMTP AUTH enabled for the mailbox.',
      rejectedWithReply:
        'The server rejected the username or password ({{reply}}). Check both; providers such as Gmail and Microsoft 365 need an app password or SMTP AUTH enabled for the mailbox.',
    },
    authNotOffered: {
      afterStarttls:
        'This server offers sign-in only after StartTLS: choose StartTLS. The password was not sent.',
      plain:
        '{{host}}:{{port}} offers no sign-in (AUTH) on a plain connection, so the password was not sent. Choose SSL/TLS if the server supports it (usually port 465), or check the server address and port.',
      overTls:
        '{{host}}:{{port}} offers no sign-in (AUTH), even over TLS, so the password was not sent. Check the port (mail submission is usually 587 or 465) and that the server has sign-in enabled.',
    },
    tlsMismatch: {
      notTls:
        "Port {{port}} does not start with SSL/TLS; choose StartTLS (usually port 587) or the server's SSL/TLS port (usually 465).",
      starttlsOnTlsPort:
        'Port {{port}} expects SSL/TLS from the start, not StartTLS; choose SSL/TLS.',
      plainOnTlsPort:
        'Port {{port}} expects SSL/TLS from the start, not a plain connection; choose SSL/TLS.',
    },
    tlsRequired:
      '{{host}}:{{port}} does not offer StartTLS, so nothing was sent. Choose SSL/TLS if the server supports it (usually port 465); choose None only for a relay on a trusted network.',
    certificateInvalid: {
      selfSigned:
        'The certificate of {{host}} is self-signed; give the server a certificate from a trusted CA, or trust its CA through NODE_EXTRA_CA_CERTS.',
      untrustedCa:
        'The certificate of {{host}} was issued by a CA this portal does not trust; trust that CA through NODE_EXTRA_CA_CERTS.',
      unverifiable:
        'The certificate of {{host}} cannot be verified (incomplete chain or unknown CA); have the server send its full chain, or trust its CA through NODE_EXTRA_CA_CERTS.',
      expired:
        'The certificate of {{host}} has expired; the server needs a renewed certificate.',
      notYetValid:
        'The certificate of {{host}} is not valid yet; check the server clock.',
      wrongName:
        'The certificate of {{host}} was issued for another name; use the server address the certificate names.',
      untrustedService:
        '{{service}} presented a certificate this server does not trust ({{certificateError}}): if a proxy inspects TLS, trust its CA through NODE_EXTRA_CA_CERTS',
    },
    connectionRefused:
      'Nothing accepts connections at {{host}}:{{port}}; check the server address and port, and that a firewall lets the portal through.',
    hostNotFound:
      "The server address {{host}} does not resolve; check its spelling and the portal's DNS.",
    destinationNotAllowed: {
      metadataAddress:
        'The server address is not allowed: {{host}} is a link-local or cloud metadata address, where no mail server may be.',
      notInAllowedHosts:
        "The server address is not allowed: {{host}} is not in emailProvider.smtp.allowedHosts ({{allowedHosts}}); ask the portal's operators to allow it.",
      resolvesToMetadataAddress:
        'The server address is not allowed: {{host}} resolves to {{address}}, a link-local or cloud metadata address, where no mail server may be.',
    },
    timeout: {
      noAnswer:
        '{{host}}:{{port}} did not answer in time; check the address, the port and any firewall between the portal and the server.',
      noGreeting:
        '{{host}}:{{port}} accepted the connection but sent no SMTP greeting in time; check that this is an SMTP port and the server is healthy.',
      sendDeadline:
        '{{host}}:{{port}} did not finish taking the message within {{seconds}} seconds; check that the server is healthy.',
      checkDeadline:
        '{{host}}:{{port}} did not finish the connection check within {{seconds}} seconds; check that the server is healthy.',
      tlsHandshake:
        '{{host}}:{{port}} accepted the connection but did not complete the TLS handshake within {{seconds}} seconds; check that this port speaks SSL/TLS (usually 465).',
      ehlo: '{{host}}:{{port}} did not finish the SMTP greeting and EHLO within {{seconds}} seconds; check that this is an SMTP port and the server is healthy.',
      signIn:
        '{{host}}:{{port}} did not answer the sign-in within {{seconds}} seconds; check that the server is healthy.',
      dns: "The server address {{host}} did not resolve within {{seconds}} seconds; check the portal's DNS.",
      service: '{{service}} did not answer in time; try again later',
    },
    senderRejected: {
      rejected:
        'The server refused the sender address; use an address the account may send as.',
      rejectedWithReply:
        'The server refused the sender address ({{reply}}); use an address the account may send as.',
    },
    recipientRejected: {
      smtp: 'The server refused the recipient; check the address.',
      smtpWithReply:
        'The server refused the recipient ({{reply}}); check the address.',
      microsoft365:
        'Microsoft 365 rejected the recipients ({{reply}}): check the addresses',
    },
    relayDenied: {
      starttlsRequired:
        '{{host}}:{{port}} takes mail only after StartTLS ({{reply}}): choose StartTLS.',
      signInRequired:
        '{{host}}:{{port}} requires sign-in before it takes mail ({{reply}}), and authentication is off: tick Server requires authentication and enter the username and password.',
      notRelayedWithoutSignIn:
        "{{host}}:{{port}} refused to pass the message on ({{reply}}): it relays only for signed-in senders or allowed networks, and authentication is off. Have the relay admit the portal's address (its allowed networks or connector), or tick Server requires authentication and enter the username and password.",
      signInAfterStarttls:
        'This server offers sign-in only after StartTLS: choose StartTLS. Without sign-in it refused the message ({{reply}}).',
      noSignInOnPlain:
        '{{host}}:{{port}} takes mail for other domains only from signed-in senders ({{reply}}), but offers no sign-in on a plain connection; choose SSL/TLS if the server supports it (usually port 465).',
      notRelayed:
        '{{host}}:{{port}} refused to pass the message on ({{reply}}): it relays only for signed-in senders or allowed networks. Check that the server offers sign-in on this port and that the account may send as the sender address.',
    },
    messageTooLarge: {
      smtpLimit:
        'The message is larger than the {{limit}} the server accepts, so it was not sent; send smaller attachments.',
      smtpRefused:
        'The message is larger than the server accepts; send smaller attachments.',
      smtpRefusedWithReply:
        'The message is larger than the server accepts ({{reply}}); send smaller attachments.',
      microsoft365:
        'The message is too large for Microsoft 365 ({{reply}}): make the attachments smaller',
    },
    secretInvalid:
      "Microsoft Entra rejected the client secret (AADSTS{{aadsts}}): paste the secret's Value, not its Secret ID",
    secretExpired:
      'The client secret has expired (AADSTS{{aadsts}}): create a new one under Certificates & secrets and save it here',
    certificateNotRegistered:
      "The app registration does not have the certificate {{subject}} (thumbprint {{thumbprint}}) (AADSTS{{aadsts}}): upload the certificate's public part (.cer) under Certificates & secrets of the app in Microsoft Entra, then check the thumbprint there matches",
    certificateExpired: {
      entra:
        'Microsoft Entra reports the certificate {{subject}} (thumbprint {{thumbprint}}) as expired (AADSTS{{aadsts}}): create a new certificate, upload its public part (.cer) to the app registration under Certificates & secrets, and paste the new certificate and private key here',
      pastEndDate:
        'The certificate {{subject}} (thumbprint {{thumbprint}}) expired on {{expiredOn}}: create a new one, upload its public part (.cer) to the app registration under Certificates & secrets, and paste the new certificate and private key here',
    },
    certificateKeyMismatch:
      'Microsoft Entra knows the certificate {{subject}} (thumbprint {{thumbprint}}), but the client assertion was not signed with its private key (AADSTS{{aadsts}}): paste the private key that belongs to this certificate',
    appNotFound:
      'No application with this client ID in the tenant (AADSTS{{aadsts}}): check the Application (client) ID',
    tenantNotFound: {
      unknown:
        'No Microsoft Entra tenant with this ID (AADSTS{{aadsts}}): check the Directory (tenant) ID',
      malformed:
        'The tenant ID is neither a GUID nor a domain of a tenant (AADSTS{{aadsts}}): check the Directory (tenant) ID',
    },
    permissionMissing: {
      mailSend:
        'The app lacks the Mail.Send application permission or admin consent: add Microsoft Graph › Application permissions › Mail.Send and grant admin consent',
      mailReadwrite:
        'The app lacks the Mail.ReadWrite application permission or admin consent, which large messages need for drafts and upload sessions: add Microsoft Graph › Application permissions › Mail.ReadWrite and grant admin consent, or turn off large messages',
      accessPolicy:
        'An Exchange Online application access policy keeps this app from the sender {{sender}} ("Access to OData is disabled"): add the mailbox to the group the policy allows, or choose a sender it allows',
    },
    mailboxNotFound:
      'The sender {{sender}} has no Exchange Online mailbox (licensed user or shared mailbox) in this tenant',
    throttled: {
      entra:
        'The Microsoft Entra token endpoint at {{url}} is throttling this app ({{reply}}); try again later',
      entraRetryIn:
        'The Microsoft Entra token endpoint at {{url}} is throttling this app ({{reply}}); try again in {{retryAfterSeconds}} s',
      graph:
        'Microsoft Graph is throttling this app or mailbox ({{reply}}); try again later',
      graphRetryIn:
        'Microsoft Graph is throttling this app or mailbox ({{reply}}); try again in {{retryAfterSeconds}} s',
    },
    providerUnavailable: {
      turnedAway:
        "{{host}}:{{port}} turned the connection away ({{reply}}); check that this is the right server and port, and that it accepts mail from the portal's address.",
      entra:
        'The Microsoft Entra token endpoint at {{url}} is unavailable ({{reply}}); try again later',
      entraRetryIn:
        'The Microsoft Entra token endpoint at {{url}} is unavailable ({{reply}}); try again in {{retryAfterSeconds}} s',
      graph: 'Microsoft Graph is unavailable ({{reply}}); try again later',
      graphRetryIn:
        'Microsoft Graph is unavailable ({{reply}}); try again in {{retryAfterSeconds}} s',
      unreachable:
        '{{service}} could not be reached ({{networkError}}); try again later',
    },
    providerError: {
      ehloRefused:
        "{{host}}:{{port}} refused the name this portal gives in EHLO ({{reply}}); set emailProvider.smtp.ehloName to the portal's fully qualified host name.",
      smtpRefused: 'The server refused the message ({{reply}}).',
      clockSkew:
        "Microsoft Entra found the client assertion outside its valid time (AADSTS{{aadsts}}): set this server's clock right (NTP)",
      wrongCloud:
        'Microsoft Graph is not known in this tenant (AADSTS{{aadsts}}): the authority host and the Graph base URL must belong to the same Microsoft cloud',
      authorityRejected:
        'MSAL refused the Microsoft 365 configuration ({{errorCode}}): check emailProvider.microsoft365.authorityHost, which must be an https URL',
      tokenUnexpected:
        'Getting a token from Microsoft Entra failed unexpectedly',
      uploadUrlNotHttps:
        'Microsoft Graph offered an upload session without an https URL; the attachment was not sent',
      secretMissing:
        'No client secret is saved for Microsoft 365: enter the secret and save',
      certificateMissing:
        'No certificate is saved for Microsoft 365: paste the certificate and its private key and save',
      notOauth:
        'The Microsoft Entra token endpoint at {{url}} answered HTTP {{httpStatus}} without an OAuth error: check emailProvider.microsoft365.authorityHost',
      redirect:
        '{{service}} answered with a redirect (HTTP {{httpStatus}}), which is not followed so that no credential goes to another server: set emailProvider.microsoft365.{{setting}} to the service itself',
      redirectTo:
        '{{service}} answered with a redirect (HTTP {{httpStatus}} to {{target}}), which is not followed so that no credential goes to another server: set emailProvider.microsoft365.{{setting}} to the service itself',
      graphTokenRefused:
        'Microsoft Graph refused a freshly issued token ({{reply}}): the authority host and the Graph base URL must belong to the same Microsoft cloud',
    },
    expired:
      'Not sent in time: no email provider was active, or every attempt failed. Check the provider and retry the message.',
  },
  // END failures
} as const;

/** The keys of the messages, flattened with dots as translations name them. */
type MessageKeys<TMessages, TPrefix extends string = ''> = {
  [TKey in keyof TMessages & string]: TMessages[TKey] extends string
    ? `${TPrefix}${TKey}`
    : MessageKeys<TMessages[TKey], `${TPrefix}${TKey}.`>;
}[keyof TMessages & string];

/**
 * Every message key. Translations are typed against this rather than against the ref, whose
 * type depends on the translations it loads.
 */
export type EmailProviderMessageKey = MessageKeys<typeof emailProviderMessages>;

/**
 * Every label and sentence of the email-provider frontend plugin, in English. The plugin brings
 * Brazilian Portuguese (`pt-BR`) too; an app enables a language through its language setting,
 * overrides any message with `createTranslationMessages`, and adds a language with
 * `createTranslationResource`.
 *
 * The English names of the page's controls are a contract that browser tests rely on; an app
 * that overrides them in English breaks those tests, not the product.
 *
 * @public
 */
export const emailProviderTranslationRef = createTranslationRef({
  id: 'plugin.email-provider',
  messages: emailProviderMessages,
  translations: {
    'pt-BR': async () => ({
      default: (await import('./translations/pt-BR')).emailProviderMessagesPtBr,
    }),
  },
});
