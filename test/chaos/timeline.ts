// A phase's faults as steps run one after another, each with an estimate of
// how long it takes. The estimates let the record stream spread its records
// over the whole phase (load.ts), so that every fault meets records in
// flight; the counts say which faults were injected, by kind.

export interface Step {
  /** The fault's kind, as counted in the report; null for a step that injects none (a quiet stretch). */
  kind: string | null;
  estimateMs: number;
  /** Injects the fault and waits out its effect; false when the fault could not be injected (counted apart). */
  run: () => Promise<boolean | void>;
}

/** A stretch of the stream with no fault. */
export function quiet(ms: number): Step {
  return { kind: null, estimateMs: ms, run: () => new Promise<void>((r) => setTimeout(r, ms)) };
}

export class Timeline {
  /** Faults injected, by kind. */
  readonly injected = new Map<string, number>();
  /** Faults that did not happen (e.g. no Produce response came to cut), by kind. */
  readonly missed = new Map<string, number>();
  readonly #steps: Step[];
  readonly #log: (message: string) => void;
  readonly #started = performance.now();
  #current = 0;
  #stepStarted = performance.now();
  #done = false;
  #failed = false;

  constructor(steps: Step[], log: (message: string) => void) {
    this.#steps = steps;
    this.#log = log;
  }

  /** A step threw: the phase cannot go on. */
  get failed(): boolean {
    return this.#failed;
  }

  /** Seconds since the timeline was made. */
  get seconds(): number {
    return (performance.now() - this.#started) / 1000;
  }

  async run(): Promise<void> {
    try {
      for (; this.#current < this.#steps.length; this.#current++) {
        const step = this.#steps[this.#current] as Step;
        this.#stepStarted = performance.now();
        const happened = (await step.run()) !== false;
        if (step.kind === null) continue;
        const counts = happened ? this.injected : this.missed;
        counts.set(step.kind, (counts.get(step.kind) ?? 0) + 1);
        this.#log(`t=${this.seconds.toFixed(1)}s ${step.kind}${happened ? '' : ' (not injected)'}: ${((performance.now() - this.#stepStarted) / 1000).toFixed(1)} s (estimate ${step.estimateMs / 1000} s)`);
      }
    } catch (err) {
      this.#failed = true;
      throw err;
    } finally {
      this.#done = true;
    }
  }

  /**
   * The time the remaining steps should take: their estimates, with the
   * current step's elapsed time taken off (but a step that runs over its
   * estimate is still given a fifth of it).
   */
  msLeft(): number {
    if (this.#done) return 0;
    const current = this.#steps[this.#current];
    let ms = current ? Math.max(current.estimateMs - (performance.now() - this.#stepStarted), current.estimateMs / 5) : 0;
    for (let i = this.#current + 1; i < this.#steps.length; i++) ms += (this.#steps[i] as Step).estimateMs;
    return ms;
  }
}
