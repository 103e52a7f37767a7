export interface Config {
  emailProvider?: {
    development?: {
      /**
       * A local SMTP server started with the portal in development only (NODE_ENV=development,
       * as `backstage-cli package start` sets it). It accepts any login and prints every message
       * it receives to the backend log. Absent or `false`: off.
       */
      mailCatcher?:
        | false
        | {
            /** The port on localhost; 1025 by default. */
            port?: number;
          };
    };
  };
}
