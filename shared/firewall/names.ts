// Names derived from network / container identities. The iptables ones reproduce the reference
// plugins' hashes exactly so operators recognise them; the nft ones are ours.
import { crypto } from '../sys/builtins';
import { sha256Hex } from '../sys/sha256';

const sha512hex = (s: string): string => crypto().createHash('sha512').update(s).digest('hex');

/** Reference bridge masquerade chain: CNI- + 24 hex of sha512(net + cid) (28 chars). */
export const masqChainName = (network: string, containerId: string): string => `CNI-${sha512hex(network + containerId).slice(0, 24)}`;

/** Reference portmap per-container chain: CNI-DN- + 21 hex of sha512(net + cid) (28 chars). */
export const dnatChainName = (network: string, containerId: string): string => `CNI-DN-${sha512hex(network + containerId).slice(0, 21)}`;

/** nft identifiers cannot hold '-' or '.', which network names may: hash them instead. */
export const nftNetworkId = (network: string): string => `n_${sha256Hex(network).slice(0, 12)}`;

// nft element comments are limited to 128 bytes; the tag must stay unique and recognisable.
const NFT_COMMENT_MAX = 128;
const NET_PART_MAX = 48;

/** The network part of an owner tag: the name itself, or a hash when it is long. */
function netTag(network: string): string {
  return network.length <= NET_PART_MAX ? network : `#${sha256Hex(network).slice(0, 24)}`;
}

/** Owner of an nft element: "<net>/<cid>/<ifname>", hashed where it would not fit. */
export function ownerTag(network: string, containerId: string, ifname: string): string {
  const plain = `${netTag(network)}/${containerId}/${ifname}`;
  if (Buffer.byteLength(plain) <= NFT_COMMENT_MAX) return plain;
  return `${netTag(network)}/#${sha256Hex(`${containerId}/${ifname}`).slice(0, 40)}`;
}

/** The attachment an owner tag names, or undefined when the tag was hashed to fit. */
export function tagAttachment(tag: string): { containerId: string; ifname: string } | undefined {
  const parts = tag.split('/');
  if (parts.length !== 3 || parts[1]!.startsWith('#')) return undefined;
  return { containerId: parts[1]!, ifname: parts[2]! };
}

/** Whether an owner tag belongs to an attachment of this network. */
export function belongsToNetwork(tag: string, network: string): boolean {
  return tag.startsWith(`${netTag(network)}/`);
}

/** A 32-bit fingerprint (for marker elements of nft type mark). */
export const fingerprint32 = (s: string): string => `0x${sha256Hex(s).slice(0, 8)}`;
