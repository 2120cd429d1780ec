import { crypto } from '../sys/builtins';

/** `veth` + 8 random hex characters, the reference's host-side naming. */
export function randomVethName(prefix = 'veth'): string {
  return prefix + crypto().randomBytes(4).toString('hex');
}
