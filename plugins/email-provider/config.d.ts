export interface Config {
  emailProvider?: {
    /**
     * Where the admin page's "How the portal delivers mail" link points: your documentation of
     * delivery behaviour and provider limits. Defaults to Microsoft's page on Exchange Online
     * sending limits.
     * @visibility frontend
     */
    deliveryDocumentationUrl?: string;
  };
}
