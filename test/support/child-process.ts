// Runs a script in a child Node.js process and reports how it ended: the
// tests that prove a process exits by itself (after close(), or idle) share it.

import { spawn } from 'node:child_process';

export interface ChildRun {
  /** The exit code; null when it was still running after killAfterMs and was killed. */
  code: number | null;
  /** stdout and stderr together. */
  out: string;
  ms: number;
}

export async function runChild(script: string, args: string[], killAfterMs: number): Promise<ChildRun> {
  const started = Date.now();
  const child = spawn(process.execPath, [script, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  const code = await new Promise<number | null>((resolve) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      resolve(null);
    }, killAfterMs);
    child.on('exit', (c) => {
      clearTimeout(timer);
      resolve(c);
    });
  });
  return { code, out, ms: Date.now() - started };
}
