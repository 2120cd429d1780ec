import { describe, expect, it } from 'vitest';
import { roleOf, usage } from '../../../shared/entry/multicall';

const roles = ['bridge', 'host-local', 'cnitool'];

describe('the multi-call entry', () => {
  it('takes the role from the name it was started under, path or not', () => {
    expect(roleOf('/opt/cni/bin/bridge', ['x'], roles)).toEqual({ role: 'bridge', rest: ['x'] });
    expect(roleOf('host-local', [], roles)).toEqual({ role: 'host-local', rest: [] });
  });
  it('takes it from the first argument when started as tscni', () => {
    expect(roleOf('/opt/cni/bin/tscni', ['cnitool', 'add', 'net'], roles)).toEqual({ role: 'cnitool', rest: ['add', 'net'] });
  });
  it('finds no role for an unknown name', () => {
    expect(roleOf('/usr/bin/tscni', ['portmap'], roles).role).toBe('');
    expect(roleOf('bridge.old', [], roles).role).toBe('');
  });
  it('lists plugins and tools apart in its usage', () => {
    const u = usage({ bridge: 'plugin', 'host-local': 'plugin', cnitool: 'tool' });
    expect(u).toContain('CNI plugins bridge, host-local');
    expect(u).toContain('tools cnitool');
  });
});
