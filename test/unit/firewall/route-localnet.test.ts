import { describe, expect, it } from 'vitest';
import { routeInterface } from '../../../shared/firewall/route-localnet';

const TABLE = `Iface	Destination	Gateway 	Flags	RefCnt	Use	Metric	Mask		MTU	Window	IRTT
eth0	00000000	010200C0	0003	0	0	0	00000000	0	0	0
eth0	000200C0	00000000	0001	0	0	0	00FFFFFF	0	0	0
cni0	00007B0A	00000000	0001	0	0	0	0000FFFF	0	0	0
br1	002D7B0A	00000000	0001	0	0	0	00FFFFFF	0	0	0
down0	002D7B0A	00000000	0000	0	0	0	00FFFFFF	0	0	0`;

describe('routeInterface (/proc/net/route longest prefix match)', () => {
  it('picks the most specific up route', () => {
    expect(routeInterface(TABLE, '10.123.45.2')).toBe('br1');
    expect(routeInterface(TABLE, '10.123.9.9')).toBe('cni0');
    expect(routeInterface(TABLE, '192.0.2.7')).toBe('eth0');
    expect(routeInterface(TABLE, '8.8.8.8')).toBe('eth0');
  });
  it('finds nothing without a default route', () => {
    expect(routeInterface(TABLE.split('\n').filter((l) => !l.includes('010200C0')).join('\n'), '8.8.8.8')).toBeUndefined();
  });
});
