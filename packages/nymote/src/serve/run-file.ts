// DATA/run/nymote.json: what a running daemon serves, for `nymote status`.
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

export interface RunInfo {
  pid: number;
  started: string;
  domain: string;
  services: { service: string; url: string }[];
}

export const runFile = (dataDir: string) => join(dataDir, 'run', 'nymote.json');

export async function writeRunInfo(dataDir: string, info: RunInfo): Promise<void> {
  await mkdir(join(dataDir, 'run'), { recursive: true });
  await writeFile(runFile(dataDir), `${JSON.stringify(info, null, 2)}\n`);
}

export async function readRunInfo(dataDir: string): Promise<RunInfo | undefined> {
  try {
    return JSON.parse(await readFile(runFile(dataDir), 'utf8')) as RunInfo;
  } catch {
    return undefined;
  }
}

export async function removeRunInfo(dataDir: string): Promise<void> {
  await rm(runFile(dataDir), { force: true });
}

/** Whether process `pid` is alive (signal 0 checks without sending anything). */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}
