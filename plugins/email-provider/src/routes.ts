import { createRouteRef } from '@backstage/frontend-plugin-api';

/** Where the Email provider page is mounted. */
export const rootRouteRef = createRouteRef();
