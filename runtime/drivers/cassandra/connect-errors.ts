// A failed connect told in one sentence per host (cassandra-driver's NoHostAvailableError message
// inspects its inner errors, stacks included): used by the driver and the store server.

/** the driver's per-host errors of a failed connect (NoHostAvailableError.innerErrors), else the error itself */
function hostErrors(err: unknown): [string, NodeJS.ErrnoException][] {
  const inner = (err as { innerErrors?: Record<string, NodeJS.ErrnoException> } | null)?.innerErrors;
  if (inner && typeof inner === 'object' && Object.keys(inner).length > 0) return Object.entries(inner);
  return [['', err as NodeJS.ErrnoException]];
}

export function allRefused(err: unknown): boolean {
  return hostErrors(err).every(([, e]) => e?.code === 'ECONNREFUSED');
}

/** One sentence per host, never the driver's inspected error objects with their stacks. */
export function connectProblem(err: unknown): string {
  if (allRefused(err)) {
    const at = hostErrors(err).map(([h]) => h).filter(Boolean).join(', ');
    return `connection refused${at ? ` at ${at}` : ''}: nothing listens there (is Cassandra running? \`flexbench store start cassandra\` starts one)`;
  }
  return hostErrors(err)
    .map(([h, e]) => `${h ? `${h}: ` : ''}${e?.code ?? String(e?.message ?? e).split('\n')[0]}`)
    .join('; ');
}
