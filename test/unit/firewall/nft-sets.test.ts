// The netlink element path encodes keys with the set types of sets.ts; they must be the types the
// setup scripts really create, or elements would be encoded for the wrong layout.
import { describe, expect, it } from 'vitest';
import { parseCidr } from '../../../shared/firewall/addr';
import { setupScript as masqSetup } from '../../../shared/firewall/nft/masq';
import { setupScript as portmapSetup, spareSetsScript } from '../../../shared/firewall/nft/portmap-rules';
import { NFT_SETS, nftSetOf } from '../../../shared/firewall/nft/sets';

interface Declared {
  key: string;
  data?: string;
  interval: boolean;
}

/** `add set|map inet <table> <name> { type <key> [: <data>]; [flags interval;] … }` lines. */
function declared(script: string): Map<string, Declared> {
  const out = new Map<string, Declared>();
  for (const m of script.matchAll(/^add (set|map) inet (\S+) (\S+) \{ type ([^;:]+?)(?: : ([^;]+))?;(.*)\}$/gm)) {
    out.set(`${m[2]} ${m[3]}`, { key: m[4]!.trim(), data: m[5]?.trim(), interval: /flags [^;]*interval/.test(m[6]!) });
  }
  return out;
}

const scripts = [
  portmapSetup({ network: 'n', containerId: 'c', ifname: 'eth0', forwards: [], addrs: [], snat: true, masqAll: false, markMasqBit: 13 }, '0x1', [
    { family: 4, prefix: 24 },
    { family: 6, prefix: 64 },
  ]),
  spareSetsScript(),
  masqSetup('n', [parseCidr('10.1.0.5/24')!, parseCidr('fd00::5/64')!]),
].join('\n');

describe('set layouts of the netlink element path', () => {
  const real = declared(scripts);

  it('finds the setup scripts\' sets', () => {
    expect(real.size).toBeGreaterThanOrEqual(11);
  });

  it('every set the scripts create is known, with the same types', () => {
    for (const [id, d] of real) {
      const [table, name] = id.split(' ') as [string, string];
      const s = nftSetOf(table, name);
      expect(s, id).toBeDefined();
      expect(s!.key.join(' . '), `${id} key`).toBe(d.key);
      expect(s!.data === undefined ? undefined : s!.data === 'verdict' ? 'verdict' : s!.data.join(' . '), `${id} data`).toBe(d.data);
      expect(Boolean(s!.interval), `${id} interval`).toBe(d.interval);
    }
  });

  it('knows no set the scripts do not create', () => {
    for (const [table, sets] of Object.entries(NFT_SETS)) for (const name of Object.keys(sets)) expect(real.has(`${table} ${name}`), `${table} ${name}`).toBe(true);
  });

  it('knows portmap\'s hairpin sets by name, for every prefix length and no other', () => {
    expect(real.has('tscni_portmap sub4_24') && real.has('tscni_portmap sub6_64')).toBe(true);
    expect(nftSetOf('tscni_portmap', 'sub4_32')?.key).toEqual(['ipv4_addr', 'ipv4_addr']);
    expect(nftSetOf('tscni_portmap', 'sub6_128')?.key).toEqual(['ipv6_addr', 'ipv6_addr']);
    expect(nftSetOf('tscni_portmap', 'sub4_33')).toBeUndefined();
    expect(nftSetOf('tscni_masq', 'sub4_24')).toBeUndefined();
  });
});
