// ingressPolicy on the iptables backend, per attachment (the reference's CNI-ISOLATION-STAGE-1/2
// are per bridge: the last ADD decided for everyone on it, and a drop outlived its container).
//   CNI-FORWARD  -j CNI-INGRESS                                         (first rule: before the admin chain and the accepts)
//   CNI-INGRESS  -d <ip> -o <br> -j CNI-INGRESS-CONTAINERS             (isolated: kept before the next rule)
//                -m conntrack --ctstate RELATED,ESTABLISHED -j RETURN  (shared)
//                -d <ip> -i <br> -o <br> -j RETURN                     (same-bridge: its own bridge may connect)
//                -d <ip> -o <br> -j CNI-INGRESS-ISOLATING              (same-bridge: not from other isolating bridges)
//   CNI-INGRESS-CONTAINERS  -i <br> -j DROP   one per attachment on a bridge
//   CNI-INGRESS-ISOLATING   -i <br> -j DROP   one per same-bridge/isolated attachment
// Every per-attachment rule carries its owner's comment; duplicates for one bridge are fine (one
// per owner), so a DEL removes exactly its owner's rules and nobody else's policy changes.
import type { Cidr } from '../addr';
import type { ForwardTarget } from '../forward-types';
import { commentArg } from './run';

export const INGRESS = 'CNI-INGRESS';
export const FROM_CONTAINERS = 'CNI-INGRESS-CONTAINERS';
export const FROM_ISOLATING = 'CNI-INGRESS-ISOLATING';
export const INGRESS_CHAINS = [INGRESS, FROM_CONTAINERS, FROM_ISOLATING];
export const INGRESS_JUMP_COMMENT = 'CNI firewall plugin ingress policy (tscni, per container)';
export const REPLY_RETURN = `-m conntrack --ctstate RELATED,ESTABLISHED -m comment --comment ${commentArg('CNI firewall plugin: replies pass the same-bridge checks')} -j RETURN`;

export interface ChainRule {
  chain: string;
  spec: string;
  /** Inserted at the top of the chain (isolated drops must precede the reply RETURN). */
  first?: boolean;
}

const hostPrefix = (c: Cidr): number => (c.family === 4 ? 32 : 128);

/** The policy rules one attachment owns for the addresses of one family. */
export function ingressRules(t: ForwardTarget, cidrs: Cidr[], comment: string): ChainRule[] {
  if (!t.bridge) return [];
  const br = t.bridge;
  const cm = `-m comment --comment ${commentArg(comment)}`;
  const out: ChainRule[] = [{ chain: FROM_CONTAINERS, spec: `-i ${br} ${cm} -j DROP` }];
  if (t.ingressPolicy !== 'open') out.push({ chain: FROM_ISOLATING, spec: `-i ${br} ${cm} -j DROP` });
  for (const c of cidrs) {
    const d = `-d ${c.ip}/${hostPrefix(c)}`;
    if (t.ingressPolicy === 'isolated') out.push({ chain: INGRESS, spec: `${d} -o ${br} ${cm} -j ${FROM_CONTAINERS}`, first: true });
    if (t.ingressPolicy === 'same-bridge') {
      out.push({ chain: INGRESS, spec: `${d} -i ${br} -o ${br} ${cm} -j RETURN` }, { chain: INGRESS, spec: `${d} -o ${br} ${cm} -j ${FROM_ISOLATING}` });
    }
  }
  return out;
}
