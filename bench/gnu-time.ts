// CPU time and peak RSS of a client that is not a Node process (the Java
// producer, kcat): the bench cannot measure inside it, so the process runs
// under GNU time when it is installed (Debian package `time`).

import { existsSync } from 'node:fs';
import { runProcess, type Finished } from './proc.js';

const GNU_TIME = '/usr/bin/time';
const MARK = 'BENCH_TIME';

export interface Usage {
  cpuMs: number;
  maxRssMb: number;
}

/** Runs `command` to completion, under GNU time when it is installed. */
export function runTimed(command: string, args: string[], timeoutMs: number): Promise<Finished> {
  return existsSync(GNU_TIME) ? runProcess(GNU_TIME, ['-f', `${MARK} %U %S %M`, command, ...args], timeoutMs) : runProcess(command, args, timeoutMs);
}

/** User + system CPU and peak RSS of a process run by runTimed; null without GNU time. */
export function usageOf(out: Finished): Usage | null {
  const m = new RegExp(`^${MARK} ([\\d.]+) ([\\d.]+) (\\d+)$`, 'm').exec(out.stderr);
  if (!m) return null;
  return { cpuMs: (Number(m[1]) + Number(m[2])) * 1000, maxRssMb: Number(m[3]) / 1024 };
}
