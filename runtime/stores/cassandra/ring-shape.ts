// A Cassandra ring's shape and what a consistency level asks of it (pure: the spec's rules and the ring's
// start read it without loading the wire client).
import { CONSISTENCY_LEVELS } from '../../drivers/cassandra/url.js';

export { CONSISTENCY_LEVELS };

/** Replicas a write or read at `consistency` needs of `replication` (one data center; pinned by a test). */
export function replicasNeeded(consistency: string, replication: number): number {
  switch (consistency.toUpperCase()) {
    case 'ANY': case 'ONE': case 'LOCAL_ONE': return 1;
    case 'TWO': return 2;
    case 'THREE': return 3;
    case 'ALL': return replication;
    default: return Math.floor(replication / 2) + 1; // QUORUM, LOCAL_QUORUM, EACH_QUORUM
  }
}

/** Why a ring's shape cannot be, or null. */
export function ringProblem(o: { nodes: number; replication: number; consistency: string }): string | null {
  if (!Number.isInteger(o.nodes) || o.nodes < 1 || o.nodes > 5) return `${o.nodes} nodes: give 1 to 5 (one machine's cores run them all)`;
  if (!Number.isInteger(o.replication) || o.replication < 1 || o.replication > o.nodes) return `replication ${o.replication}: give 1 to the ${o.nodes} nodes`;
  if (!(CONSISTENCY_LEVELS as readonly string[]).includes(o.consistency.toUpperCase())) return `consistency ${o.consistency}: one of ${CONSISTENCY_LEVELS.join(', ')}`;
  if (replicasNeeded(o.consistency, o.replication) > o.replication) return `${o.consistency.toUpperCase()} needs ${replicasNeeded(o.consistency, o.replication)} replicas; replication ${o.replication} has ${o.replication}`;
  return null;
}
