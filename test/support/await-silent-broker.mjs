// Child process of test/unit/pending-holds-process.test.ts: awaits a request
// to a broker (the test's, in the parent process) that accepts TCP and never
// answers, then closes the client while the broker keeps its end open. Every
// await must settle before the process ends (the sockets are unref'd:
// pending work must hold the process).
const [clusterModule, port] = process.argv.slice(2);
const { Cluster } = await import(clusterModule);
const client = new Cluster({ bootstrapServers: `127.0.0.1:${port}`, connectTimeoutMs: 1000, requestTimeoutMs: 300 });
try {
  await client.refreshMetadata([]);
  console.log('answered');
} catch (err) {
  console.log(`rejected: ${err.name}`);
}
await client.close();
console.log('closed');
