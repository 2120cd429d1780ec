// The names a container publishes: its own name from CNI_ARGS K8S_POD_NAME (podman and
// Kubernetes runtimes set it), and aliases from the `aliases` capability. podman sends the
// capability as {"<network>": ["alias", …]}; the CNI project's CONVENTIONS.md
// (containernetworking/cni) describes a plain list; both work.
// Without K8S_POD_NAME the first alias is the name.
import { containerArgs } from '../../shared/cni/args';
import { CniError, ErrorCode } from '../../shared/cni/error';
import { labelProblem, sameName } from '../../shared/dns';
import type { DnsnameConf } from '../../shared/conf/dnsname';

export interface ContainerNames {
  name?: string;
  aliases: string[];
}

function aliasesOf(conf: DnsnameConf): { list: unknown[]; field: string } {
  const raw = conf.runtimeConfig?.aliases;
  if (raw === undefined || raw === null) return { list: [], field: '' };
  if (Array.isArray(raw)) return { list: raw, field: 'runtimeConfig.aliases' };
  if (typeof raw === 'object') {
    const forNet = (raw as Record<string, unknown>)[conf.name];
    if (forNet === undefined || forNet === null) return { list: [], field: '' };
    const field = `runtimeConfig.aliases.${conf.name}`;
    if (!Array.isArray(forNet)) throw new CniError(ErrorCode.InvalidNetworkConfig, `invalid field "${field}": expected a list of names`);
    return { list: forNet, field };
  }
  throw new CniError(ErrorCode.InvalidNetworkConfig, 'invalid field "runtimeConfig.aliases": expected a list of names or a map of network name to names');
}

export function containerNames(conf: DnsnameConf, cniArgs: Map<string, string>): ContainerNames {
  const podName = containerArgs(cniArgs).K8S_POD_NAME;
  if (podName !== undefined) {
    const problem = labelProblem(podName);
    if (problem) throw new CniError(ErrorCode.InvalidEnvironment, `invalid container name "${podName}" in CNI_ARGS K8S_POD_NAME: not a DNS label: ${problem}`);
  }
  const { list, field } = aliasesOf(conf);
  const aliases: string[] = [];
  list.forEach((a, i) => {
    const problem = typeof a === 'string' ? labelProblem(a) : 'it is not a string';
    if (problem) throw new CniError(ErrorCode.InvalidNetworkConfig, `invalid alias ${JSON.stringify(a)} in field "${field}[${i}]": not a DNS label: ${problem}`);
    aliases.push(a as string);
  });
  const name = podName ?? aliases.shift();
  // A name listed again as an alias, or an alias listed twice, is published once.
  const unique: string[] = [];
  for (const a of aliases) if (!(name && sameName(a, name)) && !unique.some((u) => sameName(u, a))) unique.push(a);
  return name === undefined ? { aliases: unique } : { name, aliases: unique };
}
