export function usage(exe: string): string {
  return `${exe}: Add, check, or remove network interfaces from a network namespace
  ${exe} add    <net> <netns> [-i ifname]
  ${exe} check  <net> <netns> [-i ifname]
  ${exe} del    <net> <netns> [-i ifname]
  ${exe} gc     <net> [<netns>] [--all]
  ${exe} status <net> [<netns>]
Docker-style commands:
  ${exe} network ls [--json]
  ${exe} network inspect <net>
  ${exe} network create [-d bridge|macvlan|vxlan] [--subnet CIDR]... [--gateway IP]...
                 [--ip-range CIDR]... [--ipv6] [--internal] [-o key=value]... [--dns=false]
                 [--json] [--dry-run] [--force] <net>
  ${exe} network rm [--force] <net>...
  ${exe} network prune
  ${exe} connect    <net> <netns> [-i ifname]
  ${exe} disconnect <net> <netns> [-i ifname]
  ${exe} netns add|del <name>
  ${exe} netns ls
Environment: NETCONFPATH (default /etc/cni/net.d), CNI_PATH, CNI_ARGS, CAP_ARGS,
  CNI_IFNAME (default eth0), CNI_CACHE_DIR (default /var/lib/cni)
`;
}
