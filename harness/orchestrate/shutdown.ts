// One ordered, idempotent shutdown for a run (in the manner of vitest's core close()): every resource the run
// takes registers its release under a named step; close() runs the steps in their fixed order, each once,
// and a failing step never keeps the next from running. Calling close() again returns the same promise.

/** The order resources are released in: store servers first, the run directory's lock and signal wiring last. */
const SHUTDOWN_STEPS = ['stores', 'testbed', 'record', 'lock', 'signals'] as const;
type ShutdownStep = (typeof SHUTDOWN_STEPS)[number];

export class Shutdown {
  private readonly steps = new Map<ShutdownStep, (() => unknown)[]>();
  private closing: Promise<Error[]> | null = null;

  /** Register a release under a step; within a step, the last registered runs first. */
  on(step: ShutdownStep, fn: () => unknown): void {
    if (this.closing) throw new Error(`shutdown: "${step}" registered after close()`);
    this.steps.set(step, [fn, ...(this.steps.get(step) ?? [])]);
  }

  get closed(): boolean {
    return this.closing !== null;
  }

  /** Run every step once, in order; resolves with the errors the steps threw (it never rejects). */
  close(): Promise<Error[]> {
    this.closing ??= (async () => {
      const errors: Error[] = [];
      for (const step of SHUTDOWN_STEPS) {
        for (const fn of this.steps.get(step) ?? []) {
          try {
            await fn();
          } catch (e) {
            errors.push(e instanceof Error ? e : new Error(String(e)));
          }
        }
      }
      return errors;
    })();
    return this.closing;
  }
}
