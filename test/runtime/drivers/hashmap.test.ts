import { contractSuite } from '../contract.js';
import { resetHashmapStores } from '../../../runtime/drivers/hashmap/index.js';

contractSuite('hashmap', async () => ({ url: `hashmap:contract-${process.pid}`, cleanup: async () => resetHashmapStores() }));
