// The FlexState API an NF is written against, once, whatever the store: typed handles per structure
// type (an NF cannot call a counter operation on a map), waiting calls that return Promises, and a
// synchronous `…NoWait` form for every call that returns nothing. The packet loop uses slot calls:
// a key resolved once to an integer slot, then plain typed-array writes in async mode.
import type { StateConfig, StateConfigInput } from './config.js';
import type { StructType } from '../drivers/driver.js';
import type { StateContext } from './types.js';
import type { WarmState } from './context.js';

export type { WarmState };

export type * from './types.js';
export type { StructType as Type };
/** a flow's store key from its four words, and back (an NF's recovery reads the keys a flush wrote) */
export { flowKeyOfWords, parseFlowKey } from './flow-key.js';

/**
 * Open core `core`'s partition. Rejects (nothing left running) on a bad config or an unreachable store.
 * `warm`: what prewarmState made ready for a standby (its state thread, already connected).
 */
export async function openState(config: StateConfig | StateConfigInput, core: number, warm?: WarmState): Promise<StateContext> {
  const { openStateContext } = await import('./context.js');
  return openStateContext(config, core, warm);
}

/** A standby's state made ready before it knows its partition (modules loaded, state thread connected). */
export async function prewarmState(config: StateConfig | StateConfigInput): Promise<WarmState> {
  const { prewarmStateContext } = await import('./context.js');
  return prewarmStateContext(config);
}

/** Ends a warm state that was never used (a standby that was not needed). */
export async function discardWarmState(w: WarmState): Promise<void> {
  const { discardWarmState: discard } = await import('./context.js');
  return discard(w);
}
