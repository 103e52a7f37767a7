import { Config } from '@backstage/config';
import { InputError } from '@backstage/errors';
import {
  isIPv4Address,
  isIPv6Address,
} from '@internal/plugin-email-provider-common';
import { lookup } from 'node:dns/promises';
import { BlockList } from 'node:net';
import { ProviderError } from './ProviderError';

const ALLOWED_HOSTS_CONFIG = 'emailProvider.smtp.allowedHosts';

// Link-local addresses and cloud metadata services: a mail server never lives there, and the
// settings form must not become a way to probe them. BlockList matches IPv4-mapped IPv6
// (::ffff:169.254.169.254) against the IPv4 rules; the IPv4-compatible and NAT64 spellings are
// listed explicitly.
const refused = new BlockList();
refused.addSubnet('169.254.0.0', 16, 'ipv4');
refused.addAddress('100.100.100.200', 'ipv4');
refused.addAddress('192.0.0.192', 'ipv4');
refused.addSubnet('fe80::', 10, 'ipv6');
refused.addAddress('fd00:ec2::254', 'ipv6');
refused.addSubnet('::a9fe:0', 112, 'ipv6');
refused.addSubnet('64:ff9b::a9fe:0', 112, 'ipv6');

function isRefusedAddress(address: string): boolean {
  if (isIPv4Address(address)) {
    return refused.check(address, 'ipv4');
  }
  return isIPv6Address(address) && refused.check(address, 'ipv6');
}

function matchesAllowedHost(host: string, pattern: string): boolean {
  const name = host.toLocaleLowerCase('en-US').replace(/\.$/, '');
  const allowed = pattern.toLocaleLowerCase('en-US');
  return allowed.startsWith('*.')
    ? name.endsWith(allowed.slice(1))
    : name === allowed;
}

/**
 * Decides where the portal may open SMTP connections. Link-local and cloud metadata addresses
 * are refused in every spelling, whether typed in or resolved from a name; an optional
 * `emailProvider.smtp.allowedHosts` list restricts destinations further. The host is resolved
 * once per connection and the connection goes to that address, so a name cannot resolve to an
 * allowed address for the check and a refused one for the connection.
 */
export class DestinationGuard {
  static fromConfig(config: Config): DestinationGuard {
    return new DestinationGuard(
      config.getOptionalStringArray(ALLOWED_HOSTS_CONFIG),
    );
  }

  constructor(private readonly allowedHosts?: string[]) {}

  /** Refuses, at save time, a host that can never be a destination. */
  checkSettingsHost(host: string): void {
    const reason = this.refusal(host);
    if (reason) {
      throw new InputError(`smtp.host: ${reason}`);
    }
  }

  /** Resolves the host to the one address to connect to, or throws `destination-not-allowed`. */
  async resolve(host: string): Promise<{ address: string; family: number }> {
    const refusal = this.refusal(host);
    if (refusal) {
      throw notAllowed(refusal);
    }
    const literal = host.replace(/^\[|\]$/g, '');
    if (isIPv4Address(literal) || isIPv6Address(literal)) {
      return { address: literal, family: isIPv4Address(literal) ? 4 : 6 };
    }
    const addresses = await lookup(host, { all: true });
    const bad = addresses.find(a => isRefusedAddress(a.address));
    if (bad) {
      throw notAllowed(
        `${host} resolves to ${bad.address}, a link-local or cloud metadata address, where no mail server may be`,
      );
    }
    return addresses[0];
  }

  private refusal(host: string): string | undefined {
    const literal = host.replace(/^\[|\]$/g, '');
    if (isRefusedAddress(literal)) {
      return `${host} is a link-local or cloud metadata address, where no mail server may be`;
    }
    if (
      this.allowedHosts &&
      !this.allowedHosts.some(pattern => matchesAllowedHost(literal, pattern))
    ) {
      return `${host} is not in ${ALLOWED_HOSTS_CONFIG} (${this.allowedHosts.join(
        ', ',
      )}); ask the portal's operators to allow it`;
    }
    return undefined;
  }
}

function notAllowed(reason: string): ProviderError {
  return new ProviderError({
    code: 'destination-not-allowed',
    message: `The server address is not allowed: ${reason}.`,
    transient: false,
  });
}
