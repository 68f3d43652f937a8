// The paper's table layout: one keyspace per partition (nf, instance, core), one table per type,
// the structure id as the partition key. Collections are expanded into rows (key1 = structure id,
// key2 = map key / set member), counters live in counter tables.
export const TABLES = {
  /** flush bookkeeping: k = 'flush', seq = last flush applied whole */
  meta: 'meta_t',
  value: 'value_t',
  /** plain counters; `seq` = the last flush whose delta this counter holds (exactly-once marker) */
  counter: 'counter_t',
  /** a list is one frozen list cell, rewritten whole (idempotent; lists in NFs are short) */
  list: 'list_t',
  set: 'set_t',
  map: 'map_t',
  /** countermap entries */
  counterMap: 'countermap_t',
  /**
   * countermap flush markers, one per chunk of a flush (a big countermap goes out as several batches):
   * `seq` = the last flush whose deltas of that chunk the map holds. Same partition key as the entries,
   * so a chunk's deltas and its marker are one mutation.
   */
  counterMapSeq: 'countermap_seq_t',
  /** Timer entries (Section VI-B): each row written with a TTL, and its deadline, so reads are exact to the ms */
  timer: 'timer_t',
} as const;

/** Tables of an NF's shared keyspace (names.ts sharedKeyspaceName). */
export const SHARED_TABLES = {
  /** locks: the owner cell carries the lease as its TTL; taken and released by lightweight transactions */
  lock: 'lock_t',
  /** every partition (instance, core) of the NF that opened its keyspace: what merged reads visit */
  partitions: 'partition_t',
} as const;

export function sharedSchemaStatements(ks: string, replication: number): string[] {
  return [
    `CREATE KEYSPACE IF NOT EXISTS ${ks} WITH replication = {'class': 'SimpleStrategy', 'replication_factor': ${replication}}`,
    `CREATE TABLE IF NOT EXISTS ${ks}.${SHARED_TABLES.lock} (name text PRIMARY KEY, owner text)`,
    `CREATE TABLE IF NOT EXISTS ${ks}.${SHARED_TABLES.partitions} (p text, instance text, core int, PRIMARY KEY (p, instance, core))`,
  ];
}
export const SHARED_TABLE_COUNT = Object.keys(SHARED_TABLES).length;

export function sharedStatements(ks: string) {
  const lock = `${ks}.${SHARED_TABLES.lock}`, parts = `${ks}.${SHARED_TABLES.partitions}`;
  return {
    lockTake: `INSERT INTO ${lock} (name, owner) VALUES (?, ?) IF NOT EXISTS USING TTL ?`,
    lockRenew: `UPDATE ${lock} USING TTL ? SET owner = ? WHERE name = ? IF owner = ?`,
    lockRelease: `DELETE FROM ${lock} WHERE name = ? IF owner = ?`,
    lockGet: `SELECT owner, TTL(owner) AS ttl FROM ${lock} WHERE name = ?`,
    partAdd: `INSERT INTO ${parts} (p, instance, core) VALUES ('p', ?, ?)`,
    partDel: `DELETE FROM ${parts} WHERE p = 'p' AND instance = ? AND core = ?`,
    partAll: `SELECT instance, core FROM ${parts} WHERE p = 'p'`,
  };
}
export type SharedStatements = ReturnType<typeof sharedStatements>;

export function schemaStatements(ks: string, replication: number): string[] {
  return [
    `CREATE KEYSPACE IF NOT EXISTS ${ks} WITH replication = {'class': 'SimpleStrategy', 'replication_factor': ${replication}}`,
    `CREATE TABLE IF NOT EXISTS ${ks}.${TABLES.meta} (k text PRIMARY KEY, seq bigint)`,
    `CREATE TABLE IF NOT EXISTS ${ks}.${TABLES.value} (key1 text PRIMARY KEY, value text)`,
    `CREATE TABLE IF NOT EXISTS ${ks}.${TABLES.counter} (key1 text PRIMARY KEY, value counter, seq counter)`,
    `CREATE TABLE IF NOT EXISTS ${ks}.${TABLES.list} (key1 text PRIMARY KEY, value frozen<list<text>>)`,
    `CREATE TABLE IF NOT EXISTS ${ks}.${TABLES.set} (key1 text, key2 text, PRIMARY KEY (key1, key2))`,
    `CREATE TABLE IF NOT EXISTS ${ks}.${TABLES.map} (key1 text, key2 text, value double, PRIMARY KEY (key1, key2))`,
    `CREATE TABLE IF NOT EXISTS ${ks}.${TABLES.counterMap} (key1 text, key2 text, value counter, PRIMARY KEY (key1, key2))`,
    `CREATE TABLE IF NOT EXISTS ${ks}.${TABLES.counterMapSeq} (key1 text, chunk int, seq counter, PRIMARY KEY (key1, chunk))`,
    `CREATE TABLE IF NOT EXISTS ${ks}.${TABLES.timer} (key1 text, key2 text, deadline bigint, PRIMARY KEY (key1, key2))`,
  ];
}
export const TABLE_COUNT = Object.keys(TABLES).length;

/** Every statement the driver runs, as prepared-statement text for keyspace `ks`. */
export function statements(ks: string) {
  const t = (name: keyof typeof TABLES) => `${ks}.${TABLES[name]}`;
  return {
    metaGet: `SELECT seq, WRITETIME(seq) AS ts FROM ${t('meta')} WHERE k = 'flush'`,
    metaSet: `INSERT INTO ${t('meta')} (k, seq) VALUES ('flush', ?) USING TIMESTAMP ?`,
    valueGet: `SELECT value FROM ${t('value')} WHERE key1 = ?`,
    valueSet: `INSERT INTO ${t('value')} (key1, value) VALUES (?, ?) USING TIMESTAMP ?`,
    valueDel: `DELETE FROM ${t('value')} USING TIMESTAMP ? WHERE key1 = ?`,
    valueAll: `SELECT key1, value FROM ${t('value')}`,
    counterGet: `SELECT value, seq FROM ${t('counter')} WHERE key1 = ?`,
    counterAdd: `UPDATE ${t('counter')} SET value = value + ? WHERE key1 = ?`,
    counterAddSeq: `UPDATE ${t('counter')} SET value = value + ?, seq = seq + ? WHERE key1 = ?`,
    counterAll: `SELECT key1, value FROM ${t('counter')}`,
    listGet: `SELECT value FROM ${t('list')} WHERE key1 = ?`,
    listSet: `INSERT INTO ${t('list')} (key1, value) VALUES (?, ?) USING TIMESTAMP ?`,
    listDel: `DELETE FROM ${t('list')} USING TIMESTAMP ? WHERE key1 = ?`,
    listAll: `SELECT key1, value FROM ${t('list')}`,
    setAdd: `INSERT INTO ${t('set')} (key1, key2) VALUES (?, ?) USING TIMESTAMP ?`,
    setErase: `DELETE FROM ${t('set')} USING TIMESTAMP ? WHERE key1 = ? AND key2 = ?`,
    setDel: `DELETE FROM ${t('set')} USING TIMESTAMP ? WHERE key1 = ?`,
    setHas: `SELECT key2 FROM ${t('set')} WHERE key1 = ? AND key2 = ?`,
    setItems: `SELECT key2 FROM ${t('set')} WHERE key1 = ?`,
    setAll: `SELECT key1, key2 FROM ${t('set')}`,
    mapSet: `INSERT INTO ${t('map')} (key1, key2, value) VALUES (?, ?, ?) USING TIMESTAMP ?`,
    mapErase: `DELETE FROM ${t('map')} USING TIMESTAMP ? WHERE key1 = ? AND key2 = ?`,
    mapDel: `DELETE FROM ${t('map')} USING TIMESTAMP ? WHERE key1 = ?`,
    mapGet: `SELECT value FROM ${t('map')} WHERE key1 = ? AND key2 = ?`,
    mapItems: `SELECT key2, value FROM ${t('map')} WHERE key1 = ?`,
    mapAll: `SELECT key1, key2, value FROM ${t('map')}`,
    cmAdd: `UPDATE ${t('counterMap')} SET value = value + ? WHERE key1 = ? AND key2 = ?`,
    cmSeq: `UPDATE ${t('counterMapSeq')} SET seq = seq + ? WHERE key1 = ? AND chunk = ?`,
    cmSeqGet: `SELECT seq FROM ${t('counterMapSeq')} WHERE key1 = ? AND chunk = ?`,
    cmSeqAll: `SELECT chunk, seq FROM ${t('counterMapSeq')} WHERE key1 = ?`,
    cmGet: `SELECT value FROM ${t('counterMap')} WHERE key1 = ? AND key2 = ?`,
    cmItems: `SELECT key2, value FROM ${t('counterMap')} WHERE key1 = ?`,
    cmAll: `SELECT key1, key2, value FROM ${t('counterMap')}`,
    timerSet: `INSERT INTO ${t('timer')} (key1, key2, deadline) VALUES (?, ?, ?) USING TTL ? AND TIMESTAMP ?`,
    timerErase: `DELETE FROM ${t('timer')} USING TIMESTAMP ? WHERE key1 = ? AND key2 = ?`,
    timerDel: `DELETE FROM ${t('timer')} USING TIMESTAMP ? WHERE key1 = ?`,
    timerGet: `SELECT deadline FROM ${t('timer')} WHERE key1 = ? AND key2 = ?`,
    timerItems: `SELECT key2, deadline FROM ${t('timer')} WHERE key1 = ?`,
    timerAll: `SELECT key1, key2, deadline FROM ${t('timer')}`,
  };
}
export type Statements = ReturnType<typeof statements>;
