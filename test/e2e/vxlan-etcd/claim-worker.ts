// One claimant in the race test, run as its own process: takes a lease and claims a slice with
// the plugin's claim code, then prints {"claimed": CIDR} or {"code": N, "msg": …} as JSON.
import { parseSubnet, subnetText } from '../../../shared/overlay/addr';
import { claimSlice } from '../../../shared/overlay/store/claim';
import { openStore } from '../../../shared/overlay/store/etcd';
import { grantLease } from '../../../shared/overlay/store/lease';

async function main(): Promise<void> {
  const [endpoint, network, node, len, kind] = process.argv.slice(2) as [string, string, string, string, 'subnet' | 'block'];
  const h = await openStore({ type: 'etcd', endpoints: [endpoint], prefix: `/race/${network.replace('/', '-')}`, leaseTTL: 60, timeoutMs: 5000 }, 'race');
  try {
    const leaseId = await grantLease(h, 60);
    const s = await claimSlice(h, { kind, network: parseSubnet(network, true)!, len: Number(len), node, leaseId, choices: 1, field: 'subnetLen' });
    process.stdout.write(JSON.stringify({ claimed: subnetText(s) }));
  } catch (e) {
    process.stdout.write(JSON.stringify({ code: (e as { code?: number }).code ?? -1, msg: (e as Error).message }));
  } finally {
    h.close();
  }
}
void main().then(() => process.exit(0));
