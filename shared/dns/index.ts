// Container name resolution per network: a dnsmasq per network serving the names its
// containers publish. plugins/dnsname/README.md documents the behaviour, files and lifecycle.
export { domainProblem, labelProblem, sameName } from './label';
export { NAME_CONFLICT, nameConflict, namesOf, type Registration } from './registration';
export { renderHostsFile } from './hosts-file';
export { renderDnsmasqConfig, type ServerSettings } from './dnsmasq-config';
export { findDnsmasq, runningPid } from './dnsmasq';
export { hostUpstreams, upstreamProblem, upstreamsFromResolvConf, withoutSelf } from './upstreams';
export { DEFAULT_STATE_DIR, STATE_DIR_ENV, networkFiles, stateBase, type NetworkFiles } from './state-dir';
export { serverUser } from './server-user';
export { inspect, prune, publish, unpublish } from './network-dns';
export type { ServerAction } from './server';
export { verifyServing } from './verify';
export { queryDns } from './query';
export { RecordType, Rcode, decodeResponse, encodeQuery, reverseName } from './wire';
