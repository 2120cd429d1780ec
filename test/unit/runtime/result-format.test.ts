import { describe, expect, it } from 'vitest';
import { parseResult, printResult, renderResult } from '../../../shared/runtime/result-format';
import { SAMPLE_ADD_STDOUT, SAMPLE_PLUGIN_STDOUT } from './fixtures';

describe('results as libcni prints them', () => {
  it('prints a 1.0.0 result exactly as the measured cnitool output (sorted keys, no dns, no newline)', () => {
    expect(printResult(parseResult(SAMPLE_PLUGIN_STDOUT, '1.0.0'))).toBe(SAMPLE_ADD_STDOUT);
  });

  it('keeps struct order and an empty dns for 0.4.0 results', () => {
    const r = parseResult(JSON.stringify({ cniVersion: '0.4.0', ips: [{ version: '4', address: '10.0.0.2/24', gateway: '10.0.0.1', interface: 0 }], interfaces: [{ sandbox: '/x', mac: 'aa', name: 'eth0' }] }), '0.4.0');
    expect(renderResult(r)).toBe(
      '{"cniVersion":"0.4.0","interfaces":[{"name":"eth0","mac":"aa","sandbox":"/x"}],"ips":[{"version":"4","interface":0,"address":"10.0.0.2/24","gateway":"10.0.0.1"}],"dns":{}}',
    );
  });

  it('fills a missing cniVersion with the config version, and rejects unknown versions', () => {
    expect(parseResult('{"ips":[{"address":"10.0.0.2/24"}]}', '0.3.1').cniVersion).toBe('0.3.1');
    expect(() => parseResult('{"cniVersion":"9.9.9"}', '1.0.0')).toThrow('unsupported CNI result version "9.9.9"');
    expect(() => parseResult('not json', '1.0.0')).toThrow(/failed to unmarshal raw result/);
  });

  it('converts to an older version when asked (0.2.0 shape)', () => {
    const r = parseResult(SAMPLE_PLUGIN_STDOUT, '1.0.0');
    expect(JSON.parse(renderResult(r, '0.2.0'))).toEqual({ cniVersion: '0.2.0', ip4: { ip: '10.123.45.2/24', gateway: '10.123.45.1', routes: [{ dst: '0.0.0.0/0' }] }, dns: {} });
  });
});
