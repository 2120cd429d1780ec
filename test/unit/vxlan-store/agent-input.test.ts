// vxlan-sync's inputs: its command line and the config file it reads.
import { describe, expect, it } from 'vitest';
import { CniError } from '../../../shared/cni/error';
import { parseSyncArgs } from '../../../plugins/vxlan-sync/args';
import { vxlanConfOf } from '../../../plugins/vxlan-sync/conf-file';

const plugin = { type: 'vxlan', mode: 'l3', vni: 42, network: '10.244.0.0/16', store: { type: 'etcd', endpoints: ['http://10.0.0.5:2379'] } };

describe('vxlan-sync arguments', () => {
  it('modes, resync and the file', () => {
    expect(parseSyncArgs(['/etc/cni/net.d/ovl.conflist'])).toEqual({ mode: 'once', file: '/etc/cni/net.d/ovl.conflist', resyncSeconds: 30 });
    expect(parseSyncArgs(['--watch', '--resync', '5', 'f'])).toEqual({ mode: 'watch', file: 'f', resyncSeconds: 5 });
    expect(parseSyncArgs(['--leave', 'f'])).toMatchObject({ mode: 'leave' });
  });
  it('mistakes are messages, not exceptions', () => {
    expect(parseSyncArgs([])).toMatch(/config file is required/);
    expect(parseSyncArgs(['--bogus', 'f'])).toMatch(/unknown option --bogus/);
    expect(parseSyncArgs(['a', 'b'])).toMatch(/one config file only/);
    expect(parseSyncArgs(['--resync', '0', 'f'])).toMatch(/--resync/);
  });
});

describe('vxlan-sync config file', () => {
  it('takes the vxlan plugin of a conflist, with the list\'s name and version', () => {
    const c = vxlanConfOf({ cniVersion: '1.1.0', name: 'ovl', plugins: [plugin, { type: 'portmap' }] }, 'x.conflist');
    expect(c.name).toBe('ovl');
    expect(c.cniVersion).toBe('1.1.0');
    expect(c.store?.endpoints).toEqual(['http://10.0.0.5:2379']);
  });
  it('takes a single plugin config', () => {
    expect(vxlanConfOf({ cniVersion: '1.1.0', name: 'ovl', ...plugin }, 'x.conf').mode).toBe('l3');
  });
  it('refuses configs it cannot follow', () => {
    const code = (fn: () => unknown): number | undefined => {
      try {
        fn();
      } catch (e) {
        return (e as CniError).code;
      }
      return undefined;
    };
    expect(code(() => vxlanConfOf({ name: 'ovl', plugins: [{ type: 'bridge' }] }, 'x'))).toBe(7);
    expect(code(() => vxlanConfOf({ name: 'ovl', type: 'bridge' }, 'x'))).toBe(7);
    const { store: _s, ...noStore } = plugin;
    void _s;
    expect(code(() => vxlanConfOf({ name: 'ovl', ...noStore, nodeSubnet: '10.244.1.0/24' }, 'x'))).toBe(7);
    expect(code(() => vxlanConfOf([], 'x'))).toBe(6);
  });
});
