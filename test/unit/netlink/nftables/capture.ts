// Regenerates fixtures.json: runs each case's nft command under strace in a throwaway netns and
// keeps the bytes nft sent (the batch sendmsg, or the GETSETELEM request of `get element`).
// Run as root:  npx vite-node test/unit/netlink/nftables/capture.ts
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { createNetns, deleteNetns, inNetns, sh } from '../../../helpers/netns';
import { CASES, SETUP } from './cases';

const NFNL_MSG_BATCH_BEGIN = 0x10;
const GETSETELEM = (10 << 8) | 13;
const NLM_F_ACK = 4;

/** strace -e write=fd follows each sendto/sendmsg line with its buffer as "| 00000  14 00 ... |". */
function writes(trace: string): Buffer[] {
  const out: Buffer[] = [];
  for (const line of trace.split('\n')) {
    if (/^send(to|msg)\(/.test(line)) out.push(Buffer.alloc(0));
    const m = /^\s*\| [0-9a-f]{5}  ((?:[0-9a-f]{2} {1,2}){1,16})/.exec(line);
    if (m && out.length) out[out.length - 1] = Buffer.concat([out[out.length - 1]!, Buffer.from(m[1]!.replace(/\s+/g, ''), 'hex')]);
  }
  return out;
}

const ns = createNetns('tnft-cap');
try {
  inNetns(ns, ['nft', '-f', '-'], { input: SETUP });
  const fixtures: Record<string, { nft: string; hex: string }> = {};
  for (const c of CASES) {
    const file = path.join(fs.mkdtempSync('/tmp/tnft-'), 'case.nft');
    fs.writeFileSync(file, `${c.nft}\n`);
    const r = spawnSync('ip', ['netns', 'exec', ns, 'strace', '-e', 'trace=sendmsg,sendto', '-e', 'write=3', 'nft', '-f', file], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`${c.name}: nft failed: ${r.stderr}`);
    const bufs = writes(r.stderr);
    const pick = Array.isArray(c.ours)
      ? bufs.filter((b) => b.readUInt16LE(4) === NFNL_MSG_BATCH_BEGIN).at(-1)
      : bufs.filter((b) => b.readUInt16LE(4) === GETSETELEM && b.readUInt16LE(6) & NLM_F_ACK).at(-1);
    if (!pick) throw new Error(`${c.name}: no matching message in the trace`);
    fixtures[c.name] = { nft: c.nft, hex: pick.toString('hex') };
    fs.rmSync(path.dirname(file), { recursive: true });
  }
  const version = sh(['nft', '--version']).trim();
  const kernel = sh(['uname', '-r']).trim();
  fs.writeFileSync(path.join(__dirname, 'fixtures.json'), `${JSON.stringify({ captured: `${version}, kernel ${kernel}`, fixtures }, null, 1)}\n`);
  console.log(`captured ${Object.keys(fixtures).length} cases`);
} finally {
  deleteNetns(ns);
}
