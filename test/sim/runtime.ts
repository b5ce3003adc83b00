// The simulator's world clock and scheduler. While a schedule runs, the
// process's own sources of time and chance are this runtime's: setTimeout,
// setImmediate, Date.now, Math.random and Atomics.waitAsync/notify (the
// event ring's wake-up) are replaced, so the producer's main side, its
// in-thread Sender and the fake cluster all run on one virtual clock, in an
// order that is a pure function of the seed. Callbacks run one per real
// event-loop turn, so microtasks drain between them as in Node.

import { ManualClock } from '../support/fake-cluster.js';

interface Task {
  at: number;
  seq: number;
  fn: () => void;
  cancelled: boolean;
}

/** A Node timer's shape, enough for code that calls unref() or refresh(). */
class SimHandle {
  readonly task: Task;
  constructor(task: Task) {
    this.task = task;
  }
  unref(): this {
    return this;
  }
  ref(): this {
    return this;
  }
  hasRef(): boolean {
    return true;
  }
  [Symbol.toPrimitive](): number {
    return this.task.seq;
  }
}

/** mulberry32: small, fast, and a pure function of its seed. */
export function rngFrom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const real = {
  setTimeout: globalThis.setTimeout,
  clearTimeout: globalThis.clearTimeout,
  setImmediate: globalThis.setImmediate,
  clearImmediate: globalThis.clearImmediate,
  dateNow: Date.now,
  random: Math.random,
  waitAsync: Atomics.waitAsync,
  notify: Atomics.notify,
};

/** One real event-loop turn: every microtask queued so far has run. */
const realTurn = (): Promise<void> => new Promise((r) => real.setImmediate(r));

interface Waiter {
  buffer: ArrayBufferLike;
  index: number;
  resolve: (v: 'ok') => void;
}

export class SimRuntime {
  now: number;
  readonly random: () => number;
  #seq = 0;
  /** Timers, a binary heap on (at, seq). */
  readonly #heap: Task[] = [];
  #immediates: Task[] = [];
  readonly #waiters: Waiter[] = [];
  /** Callbacks run so far (a measure of a schedule's work). */
  steps = 0;

  constructor(seed: number, start: number) {
    this.now = start;
    this.random = rngFrom(seed);
  }

  setTimeout(fn: () => void, ms: number): SimHandle {
    const task = { at: this.now + Math.max(0, Number.isFinite(ms) ? ms : 0), seq: this.#seq++, fn, cancelled: false };
    this.#push(task);
    return new SimHandle(task);
  }

  clearTimeout(handle: unknown): void {
    if (handle instanceof SimHandle) handle.task.cancelled = true;
  }

  setImmediate(fn: () => void): SimHandle {
    const task = { at: this.now, seq: this.#seq++, fn, cancelled: false };
    this.#immediates.push(task);
    return new SimHandle(task);
  }

  /** Replaces the process's time, chance and waits with this runtime's; returns the undo. */
  install(): () => void {
    const g = globalThis as unknown as Record<string, unknown>;
    g.setTimeout = (fn: (...a: unknown[]) => void, ms?: number, ...args: unknown[]) => this.setTimeout(() => fn(...args), ms ?? 0);
    g.clearTimeout = (h: unknown) => this.clearTimeout(h);
    g.setImmediate = (fn: (...a: unknown[]) => void, ...args: unknown[]) => this.setImmediate(() => fn(...args));
    g.clearImmediate = (h: unknown) => this.clearTimeout(h);
    Date.now = () => this.now;
    Math.random = this.random;
    const waiters = this.#waiters;
    (Atomics as { waitAsync: unknown }).waitAsync = (ta: Int32Array, index: number, value: number) => {
      if (Atomics.load(ta, index) !== value) return { async: false, value: 'not-equal' };
      return { async: true, value: new Promise<'ok'>((resolve) => waiters.push({ buffer: ta.buffer, index, resolve })) };
    };
    (Atomics as { notify: unknown }).notify = (ta: Int32Array, index: number) => {
      let n = 0;
      for (let i = waiters.length - 1; i >= 0; i--) {
        const w = waiters[i] as Waiter;
        if (w.buffer !== ta.buffer || w.index !== index) continue;
        waiters.splice(i, 1);
        // As V8 does: the waiter wakes in a later task, not inside notify.
        this.setImmediate(() => w.resolve('ok'));
        n++;
      }
      return n;
    };
    return () => {
      g.setTimeout = real.setTimeout;
      g.clearTimeout = real.clearTimeout;
      g.setImmediate = real.setImmediate;
      g.clearImmediate = real.clearImmediate;
      Date.now = real.dateNow;
      Math.random = real.random;
      (Atomics as { waitAsync: unknown }).waitAsync = real.waitAsync;
      (Atomics as { notify: unknown }).notify = real.notify;
    };
  }

  /**
   * Runs callbacks, immediates first, then the next timer (moving the
   * clock to it), until `done()` or nothing is due before `horizon`.
   * Returns 'done', 'idle' (nothing left to run), 'horizon' (nothing due
   * before it, or `maxSteps` callbacks ran) or 'crashed' (a callback threw:
   * in Node, an uncaught exception; it goes to `uncaught`).
   */
  async run(done: () => boolean, horizon: number, maxSteps: number, uncaught: unknown[]): Promise<'done' | 'idle' | 'horizon' | 'crashed'> {
    for (;;) {
      await realTurn();
      if (uncaught.length > 0) return 'crashed';
      if (done()) return 'done';
      if (this.steps >= maxSteps) return 'horizon';
      const next = this.#immediates.length > 0 ? this.#immediates.shift() : this.#pop();
      if (!next) return 'idle';
      if (next.cancelled) continue;
      if (next.at > horizon) {
        this.#push(next);
        return 'horizon';
      }
      if (next.at > this.now) this.now = next.at;
      this.steps++;
      try {
        next.fn();
      } catch (err) {
        uncaught.push(err);
      }
    }
  }

  #push(t: Task): void {
    const h = this.#heap;
    h.push(t);
    let i = h.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!before(t, h[p] as Task)) break;
      h[i] = h[p] as Task;
      i = p;
    }
    h[i] = t;
  }

  #pop(): Task | undefined {
    const h = this.#heap;
    for (;;) {
      const top = h[0];
      if (!top) return undefined;
      const last = h.pop() as Task;
      if (h.length > 0) {
        let i = 0;
        for (;;) {
          const l = 2 * i + 1;
          if (l >= h.length) break;
          const r = l + 1;
          const c = r < h.length && before(h[r] as Task, h[l] as Task) ? r : l;
          if (!before(h[c] as Task, last)) break;
          h[i] = h[c] as Task;
          i = c;
        }
        h[i] = last;
      }
      if (!top.cancelled) return top;
    }
  }
}

function before(a: Task, b: Task): boolean {
  return a.at < b.at || (a.at === b.at && a.seq < b.seq);
}

/** The Sender's and the fake cluster's clock: the runtime's time, timers and chance. */
export class SimClock extends ManualClock {
  readonly #rt: SimRuntime;
  constructor(rt: SimRuntime) {
    super(rt.now);
    this.#rt = rt;
  }
  override now(): number {
    return this.#rt.now;
  }
  override setTimeout(fn: () => void, ms: number): unknown {
    return this.#rt.setTimeout(fn, ms);
  }
  override clearTimeout(handle: unknown): void {
    this.#rt.clearTimeout(handle);
  }
  override setImmediate(fn: () => void): void {
    this.#rt.setImmediate(fn);
  }
  override random(): number {
    return this.#rt.random();
  }
}
