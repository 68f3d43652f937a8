// Layout of the small shared control and statistics arrays between the main thread and core workers.

/** Int32 control words */
export const CONTROL = { stop: 0, go: 1 } as const;
export const CONTROL_WORDS = 2;
/** Float64 words per core in the stats array: [rx, tx] */
export const STATS_WORDS = 2;
