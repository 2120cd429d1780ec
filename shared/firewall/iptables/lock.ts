// forward.ts still serialises its own iptables calls; it uses the one firewall lock.
export { serialised } from '../lock';
