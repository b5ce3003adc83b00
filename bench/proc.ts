// Runs one child process to completion with a deadline, keeping its output.

import { spawn } from 'node:child_process';

export interface Finished {
  code: number | null;
  stdout: string;
  stderr: string;
  timedOut: boolean;
}

export function runProcess(command: string, args: string[], timeoutMs: number): Promise<Finished> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr, timedOut });
    });
  });
}

/** The last lines of a process's output, for an error message. */
export function tailOf(text: string, lines = 8): string {
  return text.trim().split('\n').slice(-lines).join('\n');
}

/**
 * The result a runner printed as its last stdout line (one JSON object), or a
 * failure saying why there is none: the deadline, or the exit code with the
 * end of what the process wrote.
 */
export function lastJsonLine<T>(out: Finished, timeoutMs: number): T | { ok: false; error: string } {
  if (out.timedOut) return { ok: false, error: `timed out after ${timeoutMs / 1000} s` };
  try {
    return JSON.parse(out.stdout.trim().split('\n').at(-1) ?? '') as T;
  } catch {
    return { ok: false, error: `exit ${out.code}: ${tailOf(out.stderr || out.stdout)}` };
  }
}
