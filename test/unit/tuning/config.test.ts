import { describe, expect, it } from 'vitest';
import { CniError } from '../../../shared/cni/error';
import { parseConfig } from '../../../shared/cni/netconf';
import { effectiveTuning, tuningSchema } from '../../../shared/conf/tuning';

const conf = (extra: Record<string, unknown> = {}) => parseConfig(tuningSchema, { cniVersion: '1.1.0', name: 'n', type: 'tuning', ...extra });
const args = (s: string) => new Map(s.split(';').filter(Boolean).map((kv) => kv.split('=') as [string, string]));

describe('tuning config', () => {
  it('defaults: dataDir /run/cni/tuning, nothing to change', () => {
    const c = conf();
    expect(c.dataDir).toBe('/run/cni/tuning');
    expect(effectiveTuning(c, new Map(), 'eth0')).toEqual({ sysctls: [], link: {} });
  });

  it('MAC precedence: config < CNI_ARGS MAC < runtimeConfig.mac < args.cni.mac', () => {
    const base = { mac: '02:00:00:00:00:01' };
    expect(effectiveTuning(conf(base), new Map(), 'eth0').link.mac).toBe('02:00:00:00:00:01');
    expect(effectiveTuning(conf(base), args('MAC=02:00:00:00:00:02'), 'eth0').link.mac).toBe('02:00:00:00:00:02');
    const rc = { ...base, runtimeConfig: { mac: '02:00:00:00:00:03' } };
    expect(effectiveTuning(conf(rc), args('MAC=02:00:00:00:00:02'), 'eth0').link.mac).toBe('02:00:00:00:00:03');
    const a = { ...rc, args: { cni: { mac: '02:00:00:00:00:04' } } };
    expect(effectiveTuning(conf(a), args('MAC=02:00:00:00:00:02'), 'eth0').link.mac).toBe('02:00:00:00:00:04');
  });

  it('CNI_ARGS: unknown keys are an error (code 4) unless IgnoreUnknown; a bad MAC is code 4', () => {
    expect(() => effectiveTuning(conf(), args('FOO=1'), 'eth0')).toThrow(CniError);
    expect(effectiveTuning(conf(), args('IgnoreUnknown=1;FOO=1;MAC=02:00:00:00:00:09'), 'eth0').link.mac).toBe('02:00:00:00:00:09');
    try {
      effectiveTuning(conf(), args('MAC=zz'), 'eth0');
      expect.unreachable();
    } catch (e) {
      expect((e as CniError).code).toBe(4);
    }
  });

  it('args.cni overrides sysctl entries, promisc, mtu, allmulti and txQLen', () => {
    const c = conf({ sysctl: { 'net.ipv4.conf.eth0.arp_notify': '0' }, mtu: 1400, args: { cni: { sysctl: { 'net.ipv4.conf.eth0.arp_notify': '1' }, promisc: true, mtu: 1300, allmulti: false, txQLen: 5 } } });
    const t = effectiveTuning(c, new Map(), 'eth0');
    expect(t.sysctls).toEqual([{ key: 'net.ipv4.conf.eth0.arp_notify', path: 'net/ipv4/conf/eth0/arp_notify', value: '1' }]);
    expect(t.link).toEqual({ promisc: true, mtu: 1300, allmulti: false, txQLen: 5 });
  });

  it('bad fields are code 7 naming the field', () => {
    for (const [extra, field] of [
      [{ mac: 'nope' }, 'mac'],
      [{ mtu: -1 }, 'mtu'],
      [{ txQLen: 'x' }, 'txQLen'],
      [{ dataDir: 'relative/dir' }, 'dataDir'],
      [{ sysctl: { 'net.ipv4.ip_forward': true } }, 'sysctl'],
    ] as const) {
      try {
        conf(extra);
        expect.unreachable();
      } catch (e) {
        expect((e as CniError).code).toBe(7);
        expect((e as CniError).msg).toContain(`"${field}`);
      }
    }
  });

  it('numbers are accepted as sysctl values', () => {
    expect(effectiveTuning(conf({ sysctl: { 'net.ipv4.ip_forward': 1 } }), new Map(), 'eth0').sysctls[0]!.value).toBe('1');
  });
});
