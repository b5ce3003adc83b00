// What keeps a process busy, counted by kind, to compare before a producer
// is made and after it is closed: process.getActiveResourcesInfo() (sockets,
// timers, immediates, requests of this thread) and, on Linux, the process's
// threads from /proc/self/status, since a worker thread is none of the
// former (a Worker does not show in getActiveResourcesInfo()).

import { readFileSync } from 'node:fs';

export type Resources = Map<string, number>;

const THREADS = 'OS thread';

export function activeResources(): Resources {
  const counts: Resources = new Map();
  for (const r of process.getActiveResourcesInfo()) counts.set(r, (counts.get(r) ?? 0) + 1);
  try {
    const threads = /^Threads:\s+(\d+)$/m.exec(readFileSync('/proc/self/status', 'utf8'));
    if (threads) counts.set(THREADS, Number(threads[1]));
  } catch {
    // Not Linux: threads are not counted.
  }
  return counts;
}

/** Kinds active now beyond their count in `before`, with how many more. */
export function resourcesLeft(before: Resources, now = activeResources()): Record<string, number> {
  const left: Record<string, number> = {};
  for (const [kind, n] of now) if (n > (before.get(kind) ?? 0)) left[kind] = n - (before.get(kind) ?? 0);
  return left;
}
