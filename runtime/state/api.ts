// The FlexState API an NF is written against, once, whatever the store: typed handles per structure
// type (an NF cannot call a counter operation on a map), waiting calls that return Promises, and a
// synchronous `…NoWait` form for every call that returns nothing. The packet loop uses slot calls:
// a key resolved once to an integer slot, then plain typed-array writes in async mode.
import type { StateConfig, StateConfigInput } from './config.js';
import type { StructType } from '../drivers/driver.js';
import type { StateContext } from './types.js';

export type * from './types.js';
export type { StructType as Type };

/** Open core `core`'s partition. Rejects (nothing left running) on a bad config or an unreachable store. */
export async function openState(config: StateConfig | StateConfigInput, core: number): Promise<StateContext> {
  const { openStateContext } = await import('./context.js');
  return openStateContext(config, core);
}
