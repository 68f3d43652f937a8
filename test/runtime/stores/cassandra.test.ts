// A real Cassandra node: start (CQL answers), reset drops only the project's keyspaces, a busy port
// is a clear error, stop removes process and files (the JVM's temp files too). One node for the whole file (start-up is slow).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import { userInfo } from 'node:os';
import net from 'node:net';
import cassandra from 'cassandra-driver';
import { server, type RunningCassandra } from '../../../runtime/stores/cassandra.js';
import { recordedNodes } from '../../../runtime/stores/cassandra/node.js';
import { dirsOf } from '../../../runtime/stores/cassandra/config.js';
import { pidAlive as alive } from '../../../common/processes.js';
import { FlexbenchError } from '../../../harness/exit-codes.js';
import { EXIT } from '../../../harness/exit-codes.js';

describe('cassandra store server', () => {
  let node: RunningCassandra;
  let client: cassandra.Client;

  before(async () => {
    node = await server.start();
    client = new cassandra.Client({ contactPoints: [`127.0.0.1:${node.port}`], localDataCenter: 'datacenter1' });
    await client.connect();
  });
  after(async () => {
    await client?.shutdown();
    await node?.stop();
  });

  it('answers CQL at the URL it prints, and records itself for `store stop`', async () => {
    assert.match(node.url, /^cassandra:\/\/127\.0\.0\.1:\d+$/);
    assert.equal(node.url, `cassandra://127.0.0.1:${node.port}`);
    const rs = await client.execute('SELECT release_version FROM system.local');
    assert.match(String(rs.first().get('release_version')), /^5\.0\.\d+$/);
    assert.ok(alive(node.pid));
    assert.ok(recordedNodes().some((r) => r.port === node.port && r.pid === node.pid));
  });

  it('reset drops the driver keyspaces (fb_…) and leaves others alone', async () => {
    const rep = "{'class':'SimpleStrategy','replication_factor':1}";
    await client.execute(`CREATE KEYSPACE fb_h4reset WITH replication = ${rep}`);
    await client.execute('CREATE TABLE fb_h4reset.t (k text PRIMARY KEY, v text)');
    await client.execute(`CREATE KEYSPACE other_h4reset WITH replication = ${rep}`);
    await server.reset(node.url);
    const rs = await client.execute('SELECT keyspace_name FROM system_schema.keyspaces');
    const names = rs.rows.map((r) => String(r.get('keyspace_name')));
    assert.ok(!names.includes('fb_h4reset'), 'project keyspace dropped');
    assert.ok(names.includes('other_h4reset'), 'foreign keyspace kept');
    assert.ok(names.includes('system'));
    await client.execute('DROP KEYSPACE other_h4reset');
  });

  it('refuses a port in use with an environment error naming the port', async () => {
    const busy = net.createServer();
    await new Promise<void>((r) => busy.listen(0, '127.0.0.1', () => r()));
    const port = (busy.address() as net.AddressInfo).port;
    try {
      await assert.rejects(server.start({ port }), (err: unknown) => {
        assert.ok(err instanceof FlexbenchError);
        assert.equal(err.exitCode, EXIT.environment);
        assert.match(err.message, new RegExp(`127\\.0\\.0\\.1:${port}.*in use`));
        return true;
      });
    } finally {
      busy.close();
    }
  });

  it('reset of an unreachable address is a clear environment error', async () => {
    const s = net.createServer();
    await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
    const port = (s.address() as net.AddressInfo).port;
    s.close();
    await assert.rejects(server.reset(`cassandra://127.0.0.1:${port}`), (err: unknown) => {
      assert.ok(err instanceof FlexbenchError);
      assert.equal(err.exitCode, EXIT.environment);
      assert.match(err.message, /cannot reach Cassandra at cassandra:\/\/127\.0\.0\.1:\d+/);
      return true;
    });
  });

  it('stop kills the process and removes its files, the JVM\'s temp files among them (none in the machine\'s temp dir)', async () => {
    const second = await server.start();
    const { pid, dataDir } = second;
    assert.ok(existsSync(dataDir));
    // the native libraries the JVM unpacks at start (lz4's at least) land in the node's directory
    assert.ok(readdirSync(dirsOf(dataDir).tmp).some((f) => /^liblz4-java-.*\.so$/.test(f)), readdirSync(dirsOf(dataDir).tmp).join(' '));
    // HotSpot's perf data always goes to /tmp, whatever TMPDIR says
    assert.ok(!existsSync(`/tmp/hsperfdata_${userInfo().username}/${pid}`), 'no JVM perf-data file in /tmp');
    await second.stop();
    assert.ok(!alive(pid));
    assert.ok(!existsSync(dataDir));
    assert.ok(!recordedNodes().some((r) => r.pid === pid));
  });
});
