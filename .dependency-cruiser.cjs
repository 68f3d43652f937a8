// The house rules of docs/ARCHITECTURE.md as dependency-cruiser rules. scripts/check-house.mjs runs
// them over the TypeScript sources (type-only imports included) in `npm test` (test/house.test.ts).
// Paths are the sources' with .js for .ts. No exemptions: a new room or door is written here and in
// docs/ARCHITECTURE.md together.
/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'no import cycles anywhere: a room that needs another one is above it',
      from: {},
      to: { circular: true },
    },
    {
      name: 'common-is-a-leaf',
      severity: 'error',
      comment: 'common/ (errors and exit codes, processes, timers) imports nothing of the project',
      from: { path: '^common/' },
      to: { path: '^(runtime|nfs|harness|bench|test)/' },
    },
    {
      name: 'runtime-knows-no-harness',
      severity: 'error',
      comment: 'the runtime (state, drivers, stores, packet path, NF process) never imports the harness, benchmarks or tests',
      from: { path: '^runtime/' },
      to: { path: '^(harness|bench|test)/' },
    },
    {
      name: 'nfs-see-the-state-api-and-the-burst-only',
      severity: 'error',
      comment: 'an NF is written against runtime/state/api.ts, the burst type, the seeded PRNG and the flow hash (pure leaves); nothing else outside nfs/',
      from: { path: '^nfs/' },
      to: { path: '^(common|runtime|harness|bench|test)/', pathNot: '^runtime/state/api\\.js$|^runtime/packet/burst\\.js$|^runtime/packet/prng\\.js$|^common/flow-hash\\.js$' },
    },
    {
      name: 'packet-path-hosts-no-nf',
      severity: 'error',
      comment: 'runtime/packet (pcap, RSS, bursts, ports) knows no NF, state, store or NF process: runtime/nf-process joins them',
      from: { path: '^runtime/packet/' },
      to: { path: '^(nfs|runtime/(nf-process|state|drivers|stores))/' },
    },
    {
      name: 'drivers-know-no-packets',
      severity: 'error',
      comment: 'a store driver knows nothing of packets, NFs, state contexts or store servers',
      from: { path: '^runtime/drivers/' },
      to: { path: '^(nfs|runtime/(packet|nf-process|state|stores))/' },
    },
    {
      name: 'state-reaches-drivers-through-the-registry',
      severity: 'error',
      comment: 'runtime/state uses the driver interface and registry, never one driver, and no packets or NFs',
      from: { path: '^runtime/state/' },
      to: { path: '^(nfs|runtime/(packet|nf-process|stores|drivers))/', pathNot: '^runtime/drivers/(driver|registry)\\.js$' },
    },
    {
      name: 'store-servers-know-no-packets',
      severity: 'error',
      comment: 'runtime/stores starts and stops store servers: no packets, NFs or state contexts',
      from: { path: '^runtime/stores/' },
      to: { path: '^(nfs|runtime/(packet|nf-process|state))/' },
    },
    {
      name: 'harness-meets-the-nf-as-a-process',
      severity: 'error',
      comment: "the harness's door into an NF is `flexbench nf run --json` (runtime/nf-process/result.ts); only the nf command itself runs the entry",
      from: { path: '^harness/', pathNot: '^harness/commands/nf\\.js$' },
      to: { path: '^(nfs/(?!registry\\.js$)|runtime/nf-process/(?!result\\.js$))' },
    },
    {
      name: 'harness-speaks-no-store-protocol',
      severity: 'error',
      comment: 'the harness reaches stores through runtime/stores (and a store URL through the driver registry), never a wire client',
      from: { path: '^harness/' },
      to: { path: '(^|/)node_modules/(ioredis|cassandra-driver)/|^runtime/drivers/(?!registry\\.js$)' },
    },
    {
      name: 'nothing-imports-tests',
      severity: 'error',
      comment: 'test helpers stay in test/; what a benchmark shares with tests lives in bench/lib',
      from: { path: '^(common|runtime|nfs|harness|bench)/' },
      to: { path: '^test/' },
    },
    {
      name: 'nothing-imports-benchmarks',
      severity: 'error',
      comment: 'the product does not depend on its benchmarks',
      from: { path: '^(common|runtime|nfs|harness)/' },
      to: { path: '^bench/' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
  },
};
