/**
 * What the signed-in user may do with the email provider, as the backend decides it
 * (`GET /api/email-provider/access`): the same decision that admits or refuses them on every admin
 * route, so a page or nav entry built on it never offers what the backend would refuse.
 *
 * @public
 */
export type EmailProviderAccess = {
  settings: {
    /** `email-provider.settings.read`: read the active provider's settings. */
    read: boolean;
    /**
     * `email-provider.settings.update`: change or delete the provider, send a test email, check
     * a connection and retry failed messages.
     */
    update: boolean;
  };
  deliveries: {
    /** `email-provider.deliveries.read`: read the delivery log. */
    read: boolean;
  };
  /**
   * Whether `emailProvider.admins` lists anyone. When it does, only the listed users and groups
   * are admins (and the portal's permission policy can only narrow that); when it does not, the
   * portal's permission policy alone decides.
   */
  adminsConfigured: boolean;
};
