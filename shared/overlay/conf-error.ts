// The one error of overlay config validation: code 7, naming the field.
import { CniError, ErrorCode } from '../cni/error';

export const badField = (field: string, msg: string): CniError => new CniError(ErrorCode.InvalidNetworkConfig, `invalid network config: field "${field}": ${msg}`);
