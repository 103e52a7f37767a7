import { Config } from '@backstage/config';
import { InputError } from '@backstage/errors';
import net from 'node:net';

const EHLO_NAME_CONFIG = 'emailProvider.smtp.ehloName';

const HOST_NAME_LABEL = /^(?!-)[a-z0-9-]{1,63}(?<!-)$/i;

/**
 * The name to give in EHLO, from `emailProvider.smtp.ehloName`, checked at startup: a host name,
 * or an address literal as RFC 5321 writes one (`[192.0.2.1]`, `[IPv6:2001:db8::1]`). Undefined
 * keeps nodemailer's default: the machine's host name when it has a dot, otherwise `[127.0.0.1]`.
 */
export function readSmtpEhloName(config: Config): string | undefined {
  const name = config.getOptionalString(EHLO_NAME_CONFIG);
  if (name === undefined) {
    return undefined;
  }
  const problem = ehloNameProblem(name);
  if (problem) {
    throw new InputError(`${EHLO_NAME_CONFIG} ${problem}`);
  }
  return name;
}

function ehloNameProblem(name: string): string | undefined {
  const shape =
    'must be a host name (portal.example.com) or an address literal ([192.0.2.1], [IPv6:2001:db8::1])';
  const literal = /^\[(.*)\]$/.exec(name)?.[1];
  if (literal !== undefined) {
    const ipv6 = /^IPv6:([0-9a-f:.]+)$/i.exec(literal)?.[1];
    const valid = ipv6 ? net.isIPv6(ipv6) : net.isIPv4(literal);
    return valid ? undefined : `${shape}; "${name}" is neither`;
  }
  if (net.isIPv4(name)) {
    return `must give an address in brackets: [${name}]`;
  }
  if (net.isIPv6(name)) {
    return `must give an address in brackets: [IPv6:${name}]`;
  }
  const labels = name.split('.');
  if (
    name.length > 253 ||
    !labels.every(label => HOST_NAME_LABEL.test(label)) ||
    // A name of digits only would pass for an address.
    /^\d+$/.test(labels[labels.length - 1])
  ) {
    return `${shape}; "${name}" is neither`;
  }
  return undefined;
}
