// One error type for the whole suite: it carries the CNI code that ends up in the error JSON.
export const ErrorCode = {
  IncompatibleVersion: 1,
  UnsupportedField: 2,
  UnknownContainer: 3,
  InvalidEnvironment: 4,
  IoFailure: 5,
  DecodingFailure: 6,
  InvalidNetworkConfig: 7,
  InvalidNetns: 8,
  TryAgainLater: 11,
  // Plugin-specific codes (100+), documented in the README.
  AddressExhausted: 110,
  AddressConflict: 111,
  PortConflict: 112,
  NameConflict: 113,
  NotAvailable: 50,
  LimitedConnectivity: 51,
  Internal: 999,
} as const;

export class CniError extends Error {
  constructor(
    readonly code: number,
    readonly msg: string,
    readonly details = '',
  ) {
    super(details ? `${msg}: ${details}` : msg);
  }

  toJSON(): { code: number; msg: string; details?: string } {
    return this.details ? { code: this.code, msg: this.msg, details: this.details } : { code: this.code, msg: this.msg };
  }
}

/** Anything thrown that is not a CniError becomes one, never a stack trace on stdout. */
export function asCniError(e: unknown, fallbackCode: number = ErrorCode.Internal): CniError {
  if (e instanceof CniError) return e;
  if (e instanceof Error) return new CniError(fallbackCode, e.message);
  return new CniError(fallbackCode, String(e));
}
