// nf_tables numbers from the uapi headers (linux/netfilter/nfnetlink.h, nf_tables.h).

export const NETLINK_NETFILTER = 12;
export const NFNETLINK_V0 = 0;
export const NFNL_SUBSYS_NFTABLES = 10;
/** Batch delimiters; their nfgenmsg res_id names the subsystem the batch is for. */
export const NFNL_MSG_BATCH_BEGIN = 0x10;
export const NFNL_MSG_BATCH_END = 0x11;
/** NFNL_BATCH_GENID: the batch applies only while the ruleset is at this generation. */
export const NFNL_BATCH_GENID = 1;

export const NFT_MSG = {
  NEWTABLE: 0, GETTABLE: 1, DELTABLE: 2, NEWCHAIN: 3, GETCHAIN: 4, DELCHAIN: 5, NEWRULE: 6, GETRULE: 7,
  DELRULE: 8, NEWSET: 9, GETSET: 10, DELSET: 11, NEWSETELEM: 12, GETSETELEM: 13, DELSETELEM: 14,
  NEWGEN: 15, GETGEN: 16,
} as const;

/** The nlmsg_type of an nf_tables message. */
export const nftType = (msg: number): number => (NFNL_SUBSYS_NFTABLES << 8) | msg;

/** NFPROTO_* values, by the family names nft(8) uses. */
export const NFPROTO = { inet: 1, ip: 2, arp: 3, netdev: 5, bridge: 7, ip6: 10 } as const;
export type NftFamily = keyof typeof NFPROTO;

export const NFTA_SET_ELEM_LIST = { TABLE: 1, SET: 2, ELEMENTS: 3, SET_ID: 4 } as const;
export const NFTA_LIST_ELEM = 1;
export const NFTA_SET_ELEM = { KEY: 1, DATA: 2, FLAGS: 3, TIMEOUT: 4, EXPIRATION: 5, USERDATA: 6, EXPR: 7, OBJREF: 9, KEY_END: 10 } as const;
export const NFTA_DATA = { VALUE: 1, VERDICT: 2 } as const;
export const NFTA_VERDICT = { CODE: 1, CHAIN: 2 } as const;
export const NFTA_CHAIN = { TABLE: 1, HANDLE: 2, NAME: 3, USE: 6 } as const;
export const NFTA_GEN = { ID: 1, PROC_PID: 2, PROC_NAME: 3 } as const;
export const NFT_SET_ELEM_INTERVAL_END = 0x1;

/** Verdict codes (NF_DROP/NF_ACCEPT from netfilter.h, the rest from nf_tables.h). */
export const VERDICT = { drop: 0, accept: 1, continue: -1, break: -2, jump: -3, goto: -4, return: -5 } as const;

/** Element userdata TLVs as libnftnl writes them (NFTNL_UDATA_SET_ELEM_*). */
export const UDATA_SET_ELEM_COMMENT = 0;
export const UDATA_SET_ELEM_FLAGS = 1;
/** nft refuses comments longer than this (NFT_USERDATA_MAXLEN is 256 for the whole TLV area). */
export const COMMENT_MAX = 128;
