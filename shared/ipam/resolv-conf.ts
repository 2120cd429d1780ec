// resolv.conf → the result's `dns`, with the reference's reading rules: '#' and ';' start a
// comment line, lines with fewer than two fields are ignored, the last `domain` wins.
import fs from 'node:fs';
import { CniError, ErrorCode } from '../cni/error';
import type { DNS } from '../cni/result';

export function parseResolvConf(text: string): DNS {
  const dns: DNS = {};
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith(';')) continue;
    const fields = line.split(/\s+/);
    if (fields.length < 2) continue;
    const [key, ...rest] = fields;
    switch (key) {
      case 'nameserver':
        (dns.nameservers ??= []).push(rest[0]!);
        break;
      case 'domain':
        dns.domain = rest[0]!;
        break;
      case 'search':
        (dns.search ??= []).push(...rest);
        break;
      case 'options':
        (dns.options ??= []).push(...rest);
        break;
    }
  }
  return dns;
}

/** A resolv.conf is small; anything huge is a mistake we refuse rather than read. */
const LIMIT = 1 << 20;

export function readResolvConf(file: string): DNS {
  let text: string;
  try {
    const st = fs.statSync(file);
    if (!st.isFile()) throw new Error('not a regular file');
    if (st.size > LIMIT) throw new Error(`larger than ${LIMIT} bytes`);
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    throw new CniError(ErrorCode.InvalidNetworkConfig, `invalid ipam.resolvConf "${file}"`, (e as Error).message);
  }
  return parseResolvConf(text);
}
