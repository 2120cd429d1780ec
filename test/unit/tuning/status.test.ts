// tuning STATUS: code 50 exactly when every ADD would fail on this node (dataDir unusable, the
// allowlist unreadable or forbidding a configured sysctl); nothing is created.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CniError, ErrorCode } from '../../../shared/cni/error';
import type { Context } from '../../../shared/cni/skel';
import { tuningSchema, type TuningConf } from '../../../shared/conf/tuning';
import { cmdStatus } from '../../../plugins/tuning/status';

let root: string;
beforeEach(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'tuning-status-'));
});
afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

const ctx = (extra: Record<string, unknown>): Context<TuningConf> =>
  ({ conf: tuningSchema.parse({ cniVersion: '1.1.0', name: 'n', type: 'tuning', dataDir: path.join(root, 'state'), ...extra }) }) as Context<TuningConf>;
const noAllowlist = (): string => path.join(root, 'no-allowlist.conf');

function statusError(c: Context<TuningConf>, allowlist = noAllowlist()): CniError | undefined {
  try {
    cmdStatus(c, allowlist);
  } catch (e) {
    if (e instanceof CniError) return e;
    throw e;
  }
  return undefined;
}

describe('tuning STATUS', () => {
  it('is fine with a dataDir that does not exist yet (ADD creates it) and creates nothing', () => {
    expect(statusError(ctx({ dataDir: path.join(root, 'a', 'b') }))).toBeUndefined();
    expect(fs.readdirSync(root)).toEqual([]);
  });

  it('is code 50 naming dataDir when a file stands where it or a parent should be', () => {
    fs.writeFileSync(path.join(root, 'file'), '');
    for (const dataDir of [path.join(root, 'file'), path.join(root, 'file', 'sub')]) {
      const e = statusError(ctx({ dataDir }));
      expect(e?.code).toBe(ErrorCode.NotAvailable);
      expect(e?.msg).toContain(`dataDir ${dataDir}`);
      expect(e?.details).toMatch(/is not a directory/);
    }
  });

  it('is code 50 when the allowlist forbids a sysctl of the config, fine when it allows it', () => {
    const allowlist = path.join(root, 'allowlist.conf');
    fs.writeFileSync(allowlist, '^net\\.ipv4\\.conf\\.IFNAME\\.arp_notify$\n');
    expect(statusError(ctx({ sysctl: { 'net.ipv4.conf.IFNAME.arp_notify': '1' } }), allowlist)).toBeUndefined();
    const e = statusError(ctx({ sysctl: { 'net.ipv4.ip_forward': '1' } }), allowlist);
    expect(e?.code).toBe(ErrorCode.NotAvailable);
    expect(e?.msg).toMatch(/every ADD would be refused: sysctl "net\.ipv4\.ip_forward" is not allowed/);
  });

  it('is code 50 when the allowlist holds a bad pattern or cannot be read', () => {
    const allowlist = path.join(root, 'allowlist.conf');
    fs.writeFileSync(allowlist, 'net\\.ipv4\\.(\n');
    expect(statusError(ctx({}), allowlist)).toMatchObject({ code: ErrorCode.NotAvailable, msg: expect.stringMatching(/allowlist .* is unusable/) });
    fs.rmSync(allowlist);
    fs.mkdirSync(allowlist);
    expect(statusError(ctx({}), allowlist)).toMatchObject({ code: ErrorCode.NotAvailable, details: 'EISDIR' });
  });

  it('a config sysctl that is not a net.* key is a config error (code 7), as in ADD', () => {
    expect(statusError(ctx({ sysctl: { 'kernel.panic': '1' } }))?.code).toBe(ErrorCode.InvalidNetworkConfig);
  });
});
