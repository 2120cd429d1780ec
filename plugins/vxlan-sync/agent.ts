// The optional agent: keeps this host's lease alive and follows the store, so the kernel follows
// hosts joining and leaving within a second instead of at the next CNI call (flanneld's role).
//   join      as a CNI call does (network record, lease, share, node record), then reconcile
//   watch     nodes/ under the network's prefix: any change → re-read the peers → reconcile
//   renew     a keep-alive every leaseTTL/3 (at most every minute); a lost lease → join again
//   resync    a full re-read every --resync seconds, and after the watch reconnects
// When the store cannot be read, the kernel is left as it is: known peers keep working.
import { log } from '../../shared/cni/log';
import type { Peer } from '../../shared/overlay/peers';
import type { Watcher } from 'etcd3';
import { openStore, type StoreHandle } from '../../shared/overlay/store/etcd';
import { NODES } from '../../shared/overlay/store/layout';
import { renewLease } from '../../shared/overlay/store/lease';
import { leaveNetwork, listPeers } from '../../shared/overlay/store/membership';
import { validateVxlanConf, type VxlanConf } from '../../shared/overlay/config';
import { joinOn, mergePeers } from '../../shared/overlay/store-view';
import { reconcileKernel } from './reconcile';

const msg = (e: unknown): string => (e instanceof Error ? e.message : String(e));

async function syncOnce(h: StoreHandle, conf: VxlanConf, peers: Peer[], why: string): Promise<void> {
  const r = await reconcileKernel(conf, mergePeers(conf.peers, peers));
  if (!r.device) log(`${why}: ${peers.length} host(s) in the store; no vxlan device yet (the first ADD creates it)`);
  else if (r.added.length || r.removed.length) log(`${why}: added ${r.added.join(', ') || 'nothing'}; removed ${r.removed.join(', ') || 'nothing'}`);
}

/** Join and reconcile once. */
export async function runOnce(conf: VxlanConf): Promise<void> {
  const h = await openStore(conf.store!, conf.name);
  try {
    const j = await joinOn(h, conf);
    await syncOnce(h, j.conf, j.joined.peers, 'sync');
  } finally {
    h.close();
  }
}

export async function runLeave(conf: VxlanConf): Promise<boolean> {
  const o = validateVxlanConf(conf);
  const h = await openStore(o.store!, o.name);
  try {
    return await leaveNetwork(h, o.stateDir, o.name);
  } finally {
    h.close();
  }
}

export interface WatchOptions {
  resyncSeconds: number;
  /** Resolves when the agent should stop (a signal). */
  stop: Promise<void>;
}

export async function runWatch(conf0: VxlanConf, opts: WatchOptions): Promise<void> {
  const o = validateVxlanConf(conf0);
  const store = o.store!;
  let h!: StoreHandle;
  let watcher: Watcher | undefined;
  let current: { conf: VxlanConf; leaseId: string } | undefined;
  let running = false;
  let again: string | undefined;

  const join = async (why: string): Promise<void> => {
    const j = await joinOn(h, conf0);
    current = { conf: j.conf, leaseId: j.joined.leaseId };
    log(`${why}: joined as ${j.joined.node}${j.joined.share ? ` with ${j.joined.share.network}/${j.joined.share.prefix}` : ''}, lease ${j.joined.leaseId}`);
    await syncOnce(h, j.conf, j.joined.peers, why);
  };
  // One pass at a time; changes arriving meanwhile fold into one more pass.
  const sync = (why: string): void => {
    if (running) {
      again = why;
      return;
    }
    running = true;
    void (async () => {
      try {
        if (!current) await join(why);
        else await syncOnce(h, current.conf, await listPeers(h), why);
      } catch (e) {
        log(`${why}: ${msg(e)} (kernel state left as it is)`);
      } finally {
        running = false;
        if (again !== undefined) {
          const next = again;
          again = undefined;
          sync(next);
        }
      }
    })();
  };

  const connect = async (): Promise<void> => {
    h = await openStore(store, o.name);
    watcher = h.ns.watch().prefix(NODES).watcher();
    watcher.on('put', () => sync('store change'));
    watcher.on('delete', () => sync('store change'));
    watcher.on('connected', () => sync('watch connected'));
    watcher.on('disconnected', (e) => log(`watch disconnected: ${msg(e)}`));
    watcher.on('error', (e) => log(`watch: ${msg(e)}`));
  };
  const disconnect = async (): Promise<void> => {
    const w = watcher;
    watcher = undefined;
    if (w) await Promise.race([w.cancel().catch(() => undefined), new Promise((r) => setTimeout(r, 500))]);
    try {
      h.close();
    } catch {
      /* already torn down */
    }
  };
  // The grpc client can throw from its own timers while etcd is away (a channel closed under a
  // pending reconnect). That is the client's state, not ours: start a fresh client and go on.
  let reconnecting = false;
  const onClientCrash = (e: unknown): void => {
    if (reconnecting) return;
    reconnecting = true;
    log(`etcd client failure: ${msg(e)}; a fresh client in 1 s`);
    // A second apart, so an etcd that stays away costs one attempt a second, not a busy loop.
    setTimeout(() => {
      void disconnect()
        .then(connect)
        .then(() => sync('reconnected'))
        .catch((err) => log(`reconnect: ${msg(err)}`))
        .finally(() => (reconnecting = false));
    }, 1000);
  };
  process.on('uncaughtException', onClientCrash);

  const renewEvery = Math.max(1, Math.min(60, Math.floor(store.leaseTTL / 3))) * 1000;
  const renew = setInterval(() => {
    if (!current) return sync('retry join');
    renewLease(h, current.leaseId)
      .then((alive) => {
        if (alive) return;
        log(`lease ${current?.leaseId} is gone: joining again`);
        current = undefined;
        sync('lease lost');
      })
      .catch((e) => log(`lease renewal: ${msg(e)}`));
  }, renewEvery);
  const resync = setInterval(() => sync('periodic resync'), opts.resyncSeconds * 1000);
  // Until the first join works, retry every second.
  const retry = setInterval(() => {
    if (!current) sync('retry join');
  }, 1000);

  await connect();
  sync('start');
  await opts.stop;
  clearInterval(renew);
  clearInterval(resync);
  clearInterval(retry);
  await disconnect();
  process.off('uncaughtException', onClientCrash);
  log('stopped (lease kept: a restart keeps this host\'s share; use --leave to give it up)');
}
