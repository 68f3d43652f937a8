// One AbortController per run, and per trial one that follows it: written once so every testbed
// sets a trial's controller up (and unhooks it) the same way.

export interface LinkedController {
  readonly signal: AbortSignal;
  abort(reason?: unknown): void;
  /** stop following the parent (call when the trial is over, so the run's signal keeps no listener) */
  dispose(): void;
}

/** A controller aborted when `parent` aborts (with its reason), or on its own by abort(). */
export function linkedController(parent?: AbortSignal): LinkedController {
  const ac = new AbortController();
  const follow = (): void => ac.abort(parent?.reason);
  if (parent?.aborted) follow();
  else parent?.addEventListener('abort', follow, { once: true });
  return {
    signal: ac.signal,
    abort: (reason?: unknown) => ac.abort(reason),
    dispose: () => parent?.removeEventListener('abort', follow),
  };
}
