// One lease per host and network: the host's registration and its claims hang on it. A plugin
// process renews the lease it finds in the local cache (one keep-alive) or, when that lease is
// gone, takes a new one; the agent keeps renewing for as long as it runs.
import { storeCall, type StoreHandle } from './etcd';

/** Sends one keep-alive; false when etcd says the lease no longer exists. */
export async function renewLease(h: StoreHandle, id: string): Promise<boolean> {
  return storeCall(h, 'lease keep-alive', async () => {
    const stream = await h.client.leaseClient.leaseKeepAlive();
    try {
      const res = await new Promise<{ TTL: string }>((resolve, reject) => {
        stream.on('data', resolve);
        stream.on('error', reject);
        stream.write({ ID: id });
      });
      return Number(res.TTL) > 0;
    } finally {
      stream.end();
    }
  });
}

export async function grantLease(h: StoreHandle, ttl: number): Promise<string> {
  return storeCall(h, 'lease grant', async () => String((await h.client.leaseClient.leaseGrant({ TTL: ttl })).ID));
}

/** Revokes a lease: its keys go with it. A lease already gone is fine. */
export async function revokeLease(h: StoreHandle, id: string): Promise<void> {
  await storeCall(h, 'lease revoke', async () => {
    try {
      await h.client.leaseClient.leaseRevoke({ ID: id });
    } catch (e) {
      if (!/not found|EtcdLeaseInvalid/i.test(`${(e as Error).name} ${(e as Error).message}`)) throw e;
    }
  });
}

/** The cached lease when it is still alive (renewed), else a new one. */
export async function ensureLease(h: StoreHandle, cached: string | undefined, ttl: number): Promise<{ id: string; renewed: boolean }> {
  if (cached && (await renewLease(h, cached))) return { id: cached, renewed: true };
  return { id: await grantLease(h, ttl), renewed: false };
}
