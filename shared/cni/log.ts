// Logs go to stderr (stdout belongs to the result); TSCNI_LOG_FILE appends them to a file too.
import fs from 'node:fs';

let prefix = 'tscni';
export function setLogPrefix(p: string): void {
  prefix = p;
}

export function log(msg: string): void {
  const line = `${new Date().toISOString()} ${prefix}[${process.pid}]: ${msg}\n`;
  try {
    fs.writeSync(2, line);
  } catch {
    /* stderr closed */
  }
  const file = process.env.TSCNI_LOG_FILE;
  if (file) {
    try {
      fs.appendFileSync(file, line, { mode: 0o600 });
    } catch {
      /* logging must never fail an operation */
    }
  }
}
