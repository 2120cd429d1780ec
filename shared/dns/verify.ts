// CHECK's question: does the network's server run, and does it answer this attachment's names
// with its addresses? Asked over the wire, as a container would, from the host netns.
import { CniError, ErrorCode } from '../cni/error';
import { canonicalIp, ipFamily } from '../cni/ip';
import { runningPid } from './dnsmasq';
import type { Attachment } from '../cni/owner';
import { inspect } from './network-dns';
import { queryDns } from './query';
import { namesOf, sameAttachment, type Registration } from './registration';
import type { NetworkFiles } from './state-dir';
import { RecordType, type Response } from './wire';

const fail = (msg: string, details = ''): never => {
  throw new CniError(ErrorCode.Internal, msg, details);
};

/** The questions that prove `reg` is served, each with the addresses the answer must hold. */
export function expectedAnswers(reg: Registration, domain: string): { name: string; type: number; ips: string[] }[] {
  const v4 = reg.ips.filter((ip) => ipFamily(ip) === 4);
  const v6 = reg.ips.filter((ip) => ipFamily(ip) === 6).map((ip) => canonicalIp(ip)!);
  const out: { name: string; type: number; ips: string[] }[] = [];
  for (const n of namesOf(reg)) {
    if (v4.length) out.push({ name: `${n}.${domain}`, type: RecordType.A, ips: v4 });
    if (v6.length) out.push({ name: `${n}.${domain}`, type: RecordType.AAAA, ips: v6 });
  }
  return out;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Throws a CniError naming what is wrong; retries the questions for ~2 s (a SIGHUP may be pending). */
export async function verifyServing(files: NetworkFiles, a: Attachment, o: { port?: number; settleMs?: number } = {}): Promise<void> {
  const records = inspect(files);
  const reg = records.registrations.find((r) => sameAttachment(r, a));
  if (!reg || !records.server) fail(`dnsname: container ${a.containerId} (${a.ifname}) has no names on network "${files.network}"`, `no record in ${files.records}`);
  const pid = runningPid(files.pid, files.conf);
  if (!pid) fail(`dnsname: the DNS server of network "${files.network}" is not running`, `no live dnsmasq for ${files.pid}`);
  const { listen, domain } = records.server!;
  // IPv4 first: an IPv6 gateway may still be completing DAD right after the bridge got it.
  const server = listen.find((l) => ipFamily(l) === 4) ?? listen[0];
  if (!server) fail(`dnsname: network "${files.network}" has no server address on record`);
  const questions = expectedAnswers(reg!, domain);
  // Without names there is nothing of ours to look up: any answer for the domain shows service.
  if (!questions.length) questions.push({ name: domain, type: RecordType.A, ips: [] });
  const deadline = Date.now() + (o.settleMs ?? 2000);
  for (const q of questions) {
    for (;;) {
      let res: Response | undefined;
      let problem: string;
      try {
        res = await queryDns(server!, q.name, q.type, { port: o.port, timeoutMs: 300, tries: 1 });
        const got = res.answers.filter((x) => x.type === q.type).map((x) => x.data);
        const missing = q.ips.filter((ip) => !got.includes(ip));
        if (!missing.length) break;
        problem = `${q.name} ${q.type === RecordType.A ? 'A' : 'AAAA'} answered [${got.join(', ')}] (rcode ${res.rcode}), missing ${missing.join(', ')}`;
      } catch (e) {
        problem = `no answer for ${q.name}: ${(e as Error).message}`;
      }
      if (Date.now() > deadline) fail(`dnsname: the DNS server of network "${files.network}" at ${server} does not serve container ${a.containerId}`, problem);
      await sleep(100);
    }
  }
}
