// Upgrade in place from the per-bridge layout (builds before per-attachment ingressPolicy,
// nftables): the table such a build left is written by hand here, with one isolated container L
// it served. The new build's first ADD rebuilds the chains; L stays isolated and passes CHECK;
// L's DEL removes its element and, being the last old attachment, the per-bridge state with it.
import { afterAll, afterEach, expect, it } from 'vitest';
import { containerIdFromNetns } from '../../../shared/runtime/container-id';
import { leakedNetns } from '../../helpers/netns';
import { World } from './world';

const PORT = 7373;
const worlds: World[] = [];
afterEach(() => {
  while (worlds.length) worlds.pop()!.destroy();
});
afterAll(() => {
  expect(leakedNetns().filter((n) => n.startsWith('trt-'))).toEqual([]);
});

/** The table of the previous layout with L's element and its isolated bridge. */
const legacyTable = (lip: string, tag: string): string => `add table inet tscni_firewall
add set inet tscni_firewall ctr4 { type ipv4_addr; }
add set inet tscni_firewall ctr6 { type ipv6_addr; }
add set inet tscni_firewall iso_br { type ifname; }
add set inet tscni_firewall icc_br { type ifname . ifname; }
add chain inet tscni_firewall admin
add chain inet tscni_firewall isolation
add rule inet tscni_firewall isolation iifname . oifname @icc_br return
add rule inet tscni_firewall isolation iifname @iso_br oifname @iso_br drop
add chain inet tscni_firewall forward { type filter hook forward priority filter; policy accept; }
add rule inet tscni_firewall forward jump isolation
add rule inet tscni_firewall forward jump admin
add rule inet tscni_firewall forward ip daddr @ctr4 ct state established,related accept
add rule inet tscni_firewall forward ip saddr @ctr4 accept
add element inet tscni_firewall ctr4 { ${lip} comment "${tag}" }
add element inet tscni_firewall iso_br { "trtb1" }
`;

it('an isolated container of the previous layout stays isolated, passes CHECK, and its DEL takes the per-bridge state', async () => {
  const w = new World();
  worlds.push(w);
  // L was added by the previous build: the bridge is ours, the firewall entries are written by hand
  w.writeNetwork({ name: 'iso', bridge: 'trtb1', n: 41, range: [10, 19], firewall: false });
  w.writeNetwork({ name: 'op', bridge: 'trtb1', n: 41, range: [20, 29] });
  const l = w.attach('iso');
  await w.serve(l, PORT);
  const tag = `iso/${containerIdFromNetns(l.path)}/eth0`;
  w.h('sh', '-c', `nft -f - <<'EOF'\n${legacyTable(l.v4, tag)}EOF`);

  const o = w.attach('op');
  const p = w.attach('op');
  await w.serve(p, PORT);
  expect(w.nftSet('own4').length).toBe(2);
  expect(w.reaches(o.netns, l.v4, PORT)).toBe(false);
  const conf = { cniVersion: '1.1.0', name: 'iso', type: 'firewall', ingressPolicy: 'isolated' };
  const env = { CNI_CONTAINERID: containerIdFromNetns(l.path), CNI_IFNAME: 'eth0', CNI_NETNS: l.path };
  const chk = w.firewall('CHECK', { ...conf, prevResult: l.result }, env);
  expect(chk.code, chk.stdout).toBe(0);

  expect(w.firewall('DEL', { ...conf, prevResult: l.result }, env).code).toBe(0);
  expect(w.nftSet('ctr4').map((e) => e.key).sort()).toEqual([o.v4, p.v4].sort());
  expect(w.nftSet('iso_br')).toEqual([]);
  // the open containers on that bridge talk again, now that the old per-bridge drop is gone
  expect(w.reaches(o.netns, p.v4, PORT)).toBe(true);
}, 180_000);
