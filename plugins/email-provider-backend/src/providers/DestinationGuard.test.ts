import { InputError } from '@backstage/errors';
import { lookup } from 'node:dns/promises';
import { DestinationGuard } from './DestinationGuard';
import { ProviderError } from './ProviderError';

// No resolver on a test machine answers with these addresses, so the lookup is replaced; the
// guard's own code runs unchanged on what it returns.
jest.mock('node:dns/promises', () => ({
  ...jest.requireActual('node:dns/promises'),
  lookup: jest.fn(),
}));
const resolvesTo = (address: string) =>
  (jest.mocked(lookup) as jest.Mock).mockResolvedValue([
    { address, family: address.includes(':') ? 6 : 4 },
  ]);

// 169.254.169.254 is a9fe:a9fe, 100.100.100.200 is 6464:64c8, 192.0.0.192 is c000:c0.
const refused: Array<[form: string, address: string]> = [
  ['IPv4 link-local', '169.254.169.254'],
  ['IPv4 link-local, another address', '169.254.0.1'],
  ['Alibaba metadata', '100.100.100.200'],
  ['Oracle metadata', '192.0.0.192'],
  ['IPv6 link-local', 'fe80::1'],
  ['AWS IPv6 metadata', 'fd00:ec2::254'],
  ['IPv4-mapped, dotted', '::ffff:169.254.169.254'],
  ['IPv4-mapped, hex', '::ffff:a9fe:a9fe'],
  ['IPv4-mapped, Alibaba', '::ffff:100.100.100.200'],
  ['IPv4-compatible', '::a9fe:a9fe'],
  ['IPv4-compatible, Alibaba', '::100.100.100.200'],
  ['IPv4-compatible, Oracle', '::c000:c0'],
  ['SIIT, dotted', '::ffff:0:169.254.169.254'],
  ['SIIT, hex', '::ffff:0:a9fe:a9fe'],
  ['SIIT, written out', '0:0:0:0:ffff:0:a9fe:a9fe'],
  ['SIIT, upper case', '::FFFF:0:A9FE:A9FE'],
  ['SIIT, Alibaba', '::ffff:0:100.100.100.200'],
  ['SIIT, Oracle', '::ffff:0:c000:c0'],
  ['well-known NAT64', '64:ff9b::a9fe:a9fe'],
  ['well-known NAT64, Alibaba', '64:ff9b::100.100.100.200'],
  ['well-known NAT64, Oracle', '64:ff9b::c000:c0'],
  ['local-use NAT64 /96', '64:ff9b:1::a9fe:a9fe'],
  ['local-use NAT64 /96, dotted', '64:ff9b:1::169.254.169.254'],
  ['local-use NAT64 /96, a subnet', '64:ff9b:1:abcd::100.100.100.200'],
  [
    'local-use NAT64 /96, zero-padded',
    '0064:ff9b:0001:0000:0000:0000:c000:00c0',
  ],
  ['local-use NAT64 /48', '64:ff9b:1:a9fe:a9:fe00::'],
  ['local-use NAT64 /48, Alibaba', '64:ff9b:1:6464:64:c800::'],
  ['local-use NAT64 /56', '64:ff9b:1:a9:fe:a9fe::'],
  ['local-use NAT64 /56, Oracle', '64:ff9b:1:c0:0:c0::'],
  ['local-use NAT64 /64', '64:ff9b:1:42:a9:fea9:fe00:0'],
  ['local-use NAT64 /64, Alibaba', '64:ff9b:1:42:64:6464:c800:0'],
];

const allowed = [
  '192.0.2.25',
  '2001:db8::25',
  '::ffff:192.0.2.25',
  '::ffff:0:192.0.2.25',
  '64:ff9b::192.0.2.25',
  '64:ff9b:1::192.0.2.25',
  '64:ff9b:1:c000:2:1900::',
];

describe('DestinationGuard', () => {
  const guard = new DestinationGuard();

  describe.each(refused)('refuses %s (%s)', (_form, address) => {
    it('typed into the settings', () => {
      expect(() => guard.checkSettingsHost(address)).toThrow(
        new InputError(
          `smtp.host: ${address} is a link-local or cloud metadata address, where no mail server may be`,
        ),
      );
    });

    it.each([address, `[${address}]`])(
      'as the literal %s when connecting',
      async literal => {
        const error = await guard.resolve(literal).catch(e => e);
        expect(error).toBeInstanceOf(ProviderError);
        expect(error.code).toBe('destination-not-allowed');
        expect(lookup).not.toHaveBeenCalled();
      },
    );

    it('resolved from a name', async () => {
      resolvesTo(address);
      const error = await guard.resolve('mail.example.com').catch(e => e);
      expect(error).toBeInstanceOf(ProviderError);
      expect(error.code).toBe('destination-not-allowed');
      expect(error.message).toBe(
        `The server address is not allowed: mail.example.com resolves to ${address}, a link-local or cloud metadata address, where no mail server may be.`,
      );
    });
  });

  it.each(allowed)('connects to %s, typed in or resolved', async address => {
    expect(() => guard.checkSettingsHost(address)).not.toThrow();
    await expect(guard.resolve(address)).resolves.toEqual({
      address,
      family: address.includes(':') ? 6 : 4,
    });
    resolvesTo(address);
    await expect(guard.resolve('mail.example.com')).resolves.toMatchObject({
      address,
    });
  });

  afterEach(() => jest.mocked(lookup).mockReset());
});
