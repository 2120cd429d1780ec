// /proc/sys writes. The file shows the netns of the thread that opens it, so call these inside
// withNetns for a container's settings.
import fs from 'node:fs';

// Keys are slash-separated (net/ipv4/conf/eth0/forwarding): interface names may contain dots.
const path = (key: string): string => `/proc/sys/${key}`;

export function sysctlGet(key: string): string {
  return fs.readFileSync(path(key), 'utf8').trim();
}

export function sysctlSet(key: string, value: string): void {
  fs.writeFileSync(path(key), value);
}

/** Writes only when the value differs: avoids needless writes on every ADD. */
export function sysctlEnsure(key: string, value: string): void {
  if (sysctlGet(key) !== value) sysctlSet(key, value);
}
