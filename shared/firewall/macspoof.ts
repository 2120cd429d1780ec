// macspoofchk: frames entering the bridge from a container port must carry that container's MAC.
// One nftables bridge-family table; containers are set elements (no per-container rules), each
// commented "<containerId>/<ifname>" so DEL can find them without knowing the port or MAC.
import { childProcess } from '../sys/builtins';
import { CniError, ErrorCode } from '../cni/error';

const TABLE = 'bridge tscni_macspoof';

function nft(script: string | undefined, args: string[] = ['-f', '-']): string {
  const r = childProcess().spawnSync('nft', args, { input: script, encoding: 'utf8' });
  if (r.error) throw new CniError(ErrorCode.Internal, `macspoofchk needs nft: ${r.error.message}`);
  if (r.status !== 0) throw new CniError(ErrorCode.Internal, `nft failed: ${r.stderr.trim()}`);
  return r.stdout;
}

const q = (s: string): string => JSON.stringify(s);

export function macspoofAdd(o: { hostIface: string; mac: string; containerId: string; ifname: string }): void {
  const tag = q(`${o.containerId}/${o.ifname}`);
  nft(
    [
      `add table ${TABLE} { comment "tscni bridge macspoofchk"; }`,
      `add set ${TABLE} guarded { type ifname; }`,
      `add set ${TABLE} allowed { type ifname . ether_addr; }`,
      `add chain ${TABLE} prerouting { type filter hook prerouting priority -300; policy accept; }`,
      `flush chain ${TABLE} prerouting`,
      `add rule ${TABLE} prerouting iifname @guarded iifname . ether saddr != @allowed drop`,
      `add element ${TABLE} allowed { ${q(o.hostIface)} . ${o.mac} comment ${tag} }`,
      `add element ${TABLE} guarded { ${q(o.hostIface)} comment ${tag} }`,
    ].join('\n') + '\n',
  );
}

function elementsTagged(tag: string): { guarded: string[]; allowed: [string, string][] } {
  const r = childProcess().spawnSync('nft', ['-j', 'list', 'table', ...TABLE.split(' ')], { encoding: 'utf8' });
  const out = { guarded: [] as string[], allowed: [] as [string, string][] };
  if (r.status !== 0) return out; // no table: nothing of ours to remove
  for (const item of JSON.parse(r.stdout).nftables as any[]) {
    const set = item.set;
    if (!set?.elem) continue;
    for (const e of set.elem) {
      if (e?.elem?.comment !== tag) continue;
      if (set.name === 'guarded') out.guarded.push(e.elem.val);
      if (set.name === 'allowed') out.allowed.push(e.elem.val.concat);
    }
  }
  return out;
}

export function macspoofDel(o: { containerId: string; ifname: string }): void {
  const found = elementsTagged(`${o.containerId}/${o.ifname}`);
  const lines = [
    ...found.guarded.map((g) => `delete element ${TABLE} guarded { ${q(g)} }`),
    ...found.allowed.map(([i, m]) => `delete element ${TABLE} allowed { ${q(i)} . ${m} }`),
  ];
  if (lines.length) nft(lines.join('\n') + '\n');
}
