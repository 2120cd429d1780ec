// The executable's roles as a runtime meets them: every CNI plugin answers VERSION; the tools
// (cnitool, vxlan-sync) keep their own command line when CNI_COMMAND is set.
import { describe, expect, it } from 'vitest';
import { run } from '../../helpers/bins';

const plugins = ['bridge', 'dnsname', 'firewall', 'host-local', 'loopback', 'macvlan', 'portmap', 'tuning', 'vxlan'];

describe('roles of the executable', () => {
  for (const p of plugins) {
    it(`${p} answers VERSION`, () => {
      const r = run(p, { env: { CNI_COMMAND: 'VERSION' } });
      expect(r.code, r.stderr).toBe(0);
      expect(r.json.cniVersion).toBe('1.1.0');
      expect(r.json.supportedVersions).toContain('1.0.0');
    });
  }
  it('cnitool with CNI_COMMAND=VERSION prints its usage, as without it, and no version', () => {
    const r = run('cnitool', { env: { CNI_COMMAND: 'VERSION' } });
    const plain = run('cnitool');
    expect(r.stdout).not.toContain('supportedVersions');
    expect(r.stderr).toContain('cnitool add');
    expect([r.code, r.stderr]).toEqual([plain.code, plain.stderr]);
  });
  it('vxlan-sync with CNI_COMMAND=VERSION asks for its config file and prints no version', () => {
    const r = run('vxlan-sync', { env: { CNI_COMMAND: 'VERSION' } });
    expect(r.code).not.toBe(0);
    expect(r.stdout).not.toContain('supportedVersions');
    expect(r.stderr).toContain('usage: vxlan-sync');
  });
});
