import { describe, expect, it } from 'vitest';
import { belongsToNetwork, dnatChainName, masqChainName, nftNetworkId, ownerTag } from '../../../shared/firewall/names';

describe('firewall names', () => {
  it('reproduces the chain names measured from the reference plugins (the anchornet run of test/unit/runtime/fixtures.ts)', () => {
    expect(masqChainName('anchornet', 'cnitool-a5831365d127c410296b')).toBe('CNI-defe99b4383a58de1711724c');
    expect(dnatChainName('anchornet', 'cnitool-a5831365d127c410296b')).toBe('CNI-DN-defe99b4383a58de17117');
  });
  it('makes nft identifiers without - or . from any network name', () => {
    expect(nftNetworkId('my-net.v2')).toMatch(/^n_[0-9a-f]{12}$/);
    expect(nftNetworkId('a')).not.toBe(nftNetworkId('b'));
  });
  it('owner tags fit an nft comment and stay attributable to their network', () => {
    const long = 'x'.repeat(200);
    for (const [net, cid] of [['net', 'c1'], [long, 'c1'], ['net', long]] as const) {
      const tag = ownerTag(net, cid, 'eth0');
      expect(Buffer.byteLength(tag)).toBeLessThanOrEqual(128);
      expect(belongsToNetwork(tag, net)).toBe(true);
      expect(belongsToNetwork(tag, 'other')).toBe(false);
    }
    expect(ownerTag('net', 'c1', 'eth0')).toBe('net/c1/eth0');
    expect(ownerTag('net', long, 'eth0')).not.toBe(ownerTag('net', long, 'eth1'));
  });
});
