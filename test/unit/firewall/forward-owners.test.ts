import { describe, expect, it } from 'vitest';
import { entriesOf, releaseLines, type Entry } from '../../../shared/firewall/nft/forward-owners';

const T = 'inet tscni_firewall';
const e = (set: string, parts: string[], comment?: string): Entry => ({ set, parts, comment });

describe('nft firewall ownership: what a DEL may remove', () => {
  const x = 'n1/x/eth0';
  const y = 'n2/y/eth0';
  const shared = [
    e('own4', ['10.0.0.5', '111'], x),
    e('own4', ['10.0.0.5', '222'], y),
    e('own_br', ['br1', '111'], x),
    e('own_br', ['br2', '222'], y),
    e('isolated4', ['10.0.0.5', 'br1'], x),
    e('ctr4', ['10.0.0.5'], x),
    e('ctr_br', ['br1'], x),
    e('ctr_br', ['br2'], y),
    e('policy_br', ['br1'], x),
  ];

  it('removes the owner elements, and derived ones only when nobody else refers to them (re-tagging a shared one)', () => {
    expect(releaseLines(T, shared, (c) => c === x)).toEqual([
      `delete element ${T} own4 { 10.0.0.5 . 111 }`,
      `delete element ${T} own_br { "br1" . 111 }`,
      `delete element ${T} isolated4 { 10.0.0.5 . "br1" }`,
      `delete element ${T} ctr4 { 10.0.0.5 }`,
      `add element ${T} ctr4 { 10.0.0.5 comment "${y}" }`,
      `delete element ${T} ctr_br { "br1" }`,
      `delete element ${T} policy_br { "br1" }`,
    ]);
  });

  it('a stale owner (nothing of it left) removes nothing, whatever the others hold', () => {
    expect(releaseLines(T, shared, (c) => c === 'n1/gone/eth0')).toEqual([]);
  });

  it('keeps a derived bridge another owner still needs', () => {
    const two = [...shared, e('own_br', ['br1', '333'], 'n3/z/eth0'), e('samebr4', ['10.0.0.7', 'br1'], 'n3/z/eth0')];
    const lines = releaseLines(T, two, (c) => c === x);
    // still there afterwards, now naming the remaining owner
    expect(lines.filter((l) => l.includes('ctr_br') || l.includes('policy_br'))).toEqual([
      `delete element ${T} ctr_br { "br1" }`,
      `add element ${T} ctr_br { "br1" comment "n3/z/eth0" }`,
      `delete element ${T} policy_br { "br1" }`,
      `add element ${T} policy_br { "br1" comment "n3/z/eth0" }`,
    ]);
  });

  it('cleans up legacy elements that carry the owner on the derived element itself', () => {
    expect(releaseLines(T, [e('ctr4', ['10.0.0.9'], x)], (c) => c === x)).toEqual([`delete element ${T} ctr4 { 10.0.0.9 }`]);
  });

  it('the per-bridge sets of earlier builds go with the last attachment those builds added', () => {
    const legacy = [e('ctr4', ['10.0.0.9'], 'n1/old/eth0'), e('iso_br', ['br1']), e('icc_br', ['br1', 'br1'])];
    const withNew = [...legacy, e('own4', ['10.0.0.5', '111'], x), e('ctr4', ['10.0.0.5'], x)];
    // a new attachment leaves: the old one still needs the per-bridge isolation
    expect(releaseLines(T, withNew, (c) => c === x).some((l) => l.includes('iso_br') || l.includes('icc_br'))).toBe(false);
    // the old one leaves: its address and the per-bridge sets go
    expect(releaseLines(T, legacy, (c) => c === 'n1/old/eth0')).toEqual([
      `delete element ${T} ctr4 { 10.0.0.9 }`,
      `delete element ${T} iso_br { "br1" }`,
      `delete element ${T} icc_br { "br1" . "br1" }`,
    ]);
  });

  it('reads nft -j listings (plain, concatenated, commented)', () => {
    const objs = [
      { set: { name: 'own4', elem: [{ elem: { val: { concat: ['10.0.0.5', 111] }, comment: x } }] } },
      { set: { name: 'ctr4', elem: ['10.0.0.5'] } },
      { set: { name: 'unknown', elem: ['a'] } },
    ];
    expect(entriesOf(objs)).toEqual([e('own4', ['10.0.0.5', '111'], x), e('ctr4', ['10.0.0.5'])]);
  });
});
