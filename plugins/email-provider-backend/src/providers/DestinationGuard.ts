import { Config } from '@backstage/config';
import type { EmailFailureParams } from '@email-provider/backstage-plugin-email-provider-common';
import {
  isIPv4Address,
  isIPv6Address,
} from '@email-provider/backstage-plugin-email-provider-common';
import { lookup } from 'node:dns/promises';
import { BlockList } from 'node:net';
import { FieldInputError } from '../settings/FieldInputError';
import { ProviderError } from './ProviderError';

const ALLOWED_HOSTS_CONFIG = 'emailProvider.smtp.allowedHosts';

// Link-local addresses and cloud metadata services: a mail server never lives there, and the
// settings form must not become a way to probe them.
const refusedIPv4 = new BlockList();
refusedIPv4.addSubnet('169.254.0.0', 16, 'ipv4');
refusedIPv4.addAddress('100.100.100.200', 'ipv4');
refusedIPv4.addAddress('192.0.0.192', 'ipv4');
const refusedIPv6 = new BlockList();
refusedIPv6.addSubnet('fe80::', 10, 'ipv6');
refusedIPv6.addAddress('fd00:ec2::254', 'ipv6');

function ipv6Bytes(address: string): number[] {
  // An embedded IPv4 tail (::ffff:169.254.169.254) stands for the last two groups.
  const text = address.replace(
    /(\d+)\.(\d+)\.(\d+)\.(\d+)$/,
    (_tail, a, b, c, d) =>
      `${((+a << 8) | +b).toString(16)}:${((+c << 8) | +d).toString(16)}`,
  );
  const [head, tail] = text.split('::');
  const groups = (part: string) =>
    part ? part.split(':').map(group => parseInt(group, 16)) : [];
  const before = groups(head);
  const after = tail === undefined ? [] : groups(tail);
  const zeros = new Array(8 - before.length - after.length).fill(0);
  return [...before, ...zeros, ...after].flatMap(group => [
    group >> 8,
    group & 0xff,
  ]);
}

const startsWith = (bytes: number[], prefix: number[]) =>
  prefix.every((byte, index) => bytes[index] === byte);

/**
 * The IPv4 addresses an IPv6 address reaches through the host's dual stack or a translator:
 * IPv4-mapped (::ffff:0:0/96), IPv4-compatible (::/96), SIIT (::ffff:0:0:0/96, RFC 7915), the
 * well-known NAT64 prefix (64:ff9b::/96) and local-use NAT64 (64:ff9b:1::/48, RFC 8215). An
 * operator may carve a local-use NAT64 prefix of any RFC 6052 length out of that /48, and the
 * embedded address sits elsewhere for each (skipping the reserved octet 8), so every reading
 * counts.
 */
function embeddedIPv4(address: string): string[] {
  const bytes = ipv6Bytes(address);
  const zeros = (count: number) => new Array(count).fill(0);
  const readings: number[][] = [];
  if (
    startsWith(bytes, [...zeros(10), 0xff, 0xff]) ||
    startsWith(bytes, zeros(12)) ||
    startsWith(bytes, [...zeros(8), 0xff, 0xff, 0, 0]) ||
    startsWith(bytes, [0, 0x64, 0xff, 0x9b, ...zeros(8)])
  ) {
    readings.push(bytes.slice(12));
  }
  if (startsWith(bytes, [0, 0x64, 0xff, 0x9b, 0, 1])) {
    readings.push(
      [bytes[6], bytes[7], bytes[9], bytes[10]], // /48
      [bytes[7], bytes[9], bytes[10], bytes[11]], // /56
      bytes.slice(9, 13), // /64
      bytes.slice(12), // /96
    );
  }
  return readings.map(reading => reading.join('.'));
}

function isRefusedAddress(address: string): boolean {
  if (isIPv4Address(address)) {
    return refusedIPv4.check(address, 'ipv4');
  }
  return (
    isIPv6Address(address) &&
    (refusedIPv6.check(address, 'ipv6') ||
      embeddedIPv4(address).some(ipv4 => refusedIPv4.check(ipv4, 'ipv4')))
  );
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
    const refusal = this.refusal(host);
    if (refusal) {
      throw new FieldInputError([
        { field: 'smtp.host', message: refusal.sentence },
      ]);
    }
  }

  /** Resolves the host to the one address to connect to, or throws `destination-not-allowed`. */
  async resolve(host: string): Promise<{ address: string; family: number }> {
    const refusal = this.refusal(host);
    if (refusal) {
      throw notAllowed(refusal.sentence, refusal.params);
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
        { reason: 'resolves-to-metadata-address', host, address: bad.address },
      );
    }
    return addresses[0];
  }

  private refusal(host: string):
    | {
        sentence: string;
        params: EmailFailureParams['destination-not-allowed'];
      }
    | undefined {
    const literal = host.replace(/^\[|\]$/g, '');
    if (isRefusedAddress(literal)) {
      return {
        sentence: `${host} is a link-local or cloud metadata address, where no mail server may be`,
        params: { reason: 'metadata-address', host },
      };
    }
    if (
      this.allowedHosts &&
      !this.allowedHosts.some(pattern => matchesAllowedHost(literal, pattern))
    ) {
      const allowedHosts = this.allowedHosts.join(', ');
      return {
        sentence: `${host} is not in ${ALLOWED_HOSTS_CONFIG} (${allowedHosts}); ask the portal's operators to allow it`,
        params: { reason: 'not-in-allowed-hosts', host, allowedHosts },
      };
    }
    return undefined;
  }
}

function notAllowed(
  sentence: string,
  params: EmailFailureParams['destination-not-allowed'],
): ProviderError {
  return new ProviderError({
    code: 'destination-not-allowed',
    message: `The server address is not allowed: ${sentence}.`,
    params,
    transient: false,
  });
}
