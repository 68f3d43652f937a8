// H1's FlexState contract suite, unchanged, against the Cassandra driver on a real Cassandra node
// (sync, async with both flushers, recovery). Its own file: one node for the suite.
import { contractSuite } from '../contract.js';
import { server } from '../../../runtime/stores/cassandra.js';

contractSuite('cassandra', async () => {
  const node = await server.start();
  return { url: node.url, cleanup: () => node.stop() };
});
