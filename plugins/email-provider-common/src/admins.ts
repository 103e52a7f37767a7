import { parseEntityRef, stringifyEntityRef } from '@backstage/catalog-model';

function normalize(ref: string): string {
  return stringifyEntityRef(parseEntityRef(ref)).toLocaleLowerCase('en-US');
}

/**
 * Whether a user is one of the email provider admins: their own entity ref or one of their groups
 * (their ownership refs, as sign-in resolved them) is listed in `emailProvider.admins`. Refs
 * compare as Backstage compares them: case-insensitively, `user:ada` meaning `user:default/ada`.
 *
 * @public
 */
export function isEmailProviderAdmin(
  admins: readonly string[],
  ownershipEntityRefs: readonly string[],
): boolean {
  const allowed = new Set(admins.map(normalize));
  return ownershipEntityRefs.some(ref => allowed.has(normalize(ref)));
}
