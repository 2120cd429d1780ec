import fs from 'node:fs';

/**
 * `veth` + 8 random hex characters, the reference's host-side naming. Four bytes from
 * /dev/urandom rather than node:crypto: loading crypto (and the stream modules it pulls in)
 * cost a bridge ADD 4–8 ms for these four bytes.
 */
export function randomVethName(prefix = 'veth'): string {
  const fd = fs.openSync('/dev/urandom', 'r');
  try {
    const b = Buffer.alloc(4);
    if (fs.readSync(fd, b, 0, 4, null) !== 4) throw new Error('short read from /dev/urandom');
    return prefix + b.toString('hex');
  } finally {
    fs.closeSync(fd);
  }
}
