// Time as the Sender sees it. Injected, so that every rule that waits
// (linger, backoff, delivery timeout, metadata refresh) can be tested with
// a clock the test moves by hand.

export interface Clock {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
  /** Runs fn after the current I/O callbacks: many wake-ups in one tick make one drain. */
  setImmediate(fn: () => void): void;
  /** In [0, 1): the retry backoff's jitter. */
  random(): number;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  // Unref'd: an idle producer must not hold the process; pending work holds it (SenderHost.keepAlive).
  setTimeout: (fn, ms) => setTimeout(fn, ms).unref(),
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
  setImmediate: (fn) => {
    setImmediate(fn);
  },
  random: () => Math.random(),
};
