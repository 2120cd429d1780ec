// The CNI_* environment, read once and validated per command as the reference skeleton does.
import { CniError, ErrorCode } from './error';
import { validateContainerId, validateIfName } from './names';

export type Command = 'ADD' | 'DEL' | 'CHECK' | 'STATUS' | 'GC' | 'VERSION';
export const COMMANDS: readonly Command[] = ['ADD', 'DEL', 'CHECK', 'STATUS', 'GC', 'VERSION'];

export interface CniEnv {
  command: Command;
  containerId: string;
  netns: string;
  ifname: string;
  args: string;
  path: string[];
  netnsOverride: boolean;
}

type Need = 'req' | 'opt' | 'no';
const NEEDS: Record<Command, Record<string, Need>> = {
  ADD: { CNI_CONTAINERID: 'req', CNI_NETNS: 'req', CNI_IFNAME: 'req', CNI_PATH: 'req' },
  CHECK: { CNI_CONTAINERID: 'req', CNI_NETNS: 'req', CNI_IFNAME: 'req', CNI_PATH: 'req' },
  DEL: { CNI_CONTAINERID: 'req', CNI_NETNS: 'opt', CNI_IFNAME: 'req', CNI_PATH: 'req' },
  GC: { CNI_PATH: 'req' },
  STATUS: { CNI_PATH: 'req' },
  VERSION: {},
};

export function readEnv(env: NodeJS.ProcessEnv): CniEnv | undefined {
  const cmd = env.CNI_COMMAND;
  if (cmd === undefined || cmd === '') return undefined;
  if (!COMMANDS.includes(cmd as Command)) throw new CniError(ErrorCode.InvalidEnvironment, `unknown CNI_COMMAND: ${cmd}`);
  const command = cmd as Command;
  const missing = Object.entries(NEEDS[command])
    .filter(([k, need]) => need === 'req' && !env[k])
    .map(([k]) => k);
  if (missing.length) throw new CniError(ErrorCode.InvalidEnvironment, `required env variables [${missing.join(',')}] missing`);
  const e: CniEnv = {
    command,
    containerId: env.CNI_CONTAINERID ?? '',
    netns: env.CNI_NETNS ?? '',
    ifname: env.CNI_IFNAME ?? '',
    args: env.CNI_ARGS ?? '',
    path: (env.CNI_PATH ?? '').split(':').filter(Boolean),
    netnsOverride: ['1', 'true'].includes((env.CNI_NETNS_OVERRIDE ?? '').toLowerCase()),
  };
  if (NEEDS[command].CNI_CONTAINERID) validateContainerId(e.containerId);
  if (NEEDS[command].CNI_IFNAME) validateIfName(e.ifname);
  return e;
}
