// Run inside a service's container (`docker exec -i <id> node --input-type=module - < heap-after-gc.mjs`): prints
// the JS heap in use by its PID 1 right after a full garbage collection, in MiB. What the service still holds,
// without the garbage V8 has not collected yet, which makes its container's memory swing by tens of MiB.
// SIGUSR1 opens Node's inspector on the container's own loopback (until the container goes): how we reach the heap
// of another process.
/* global fetch, WebSocket, setTimeout */
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

process.kill(1, 'SIGUSR1');
let target;
for (let i = 0; i < 100 && !target; i++) {
  target = await fetch('http://127.0.0.1:9229/json/list')
    .then((r) => r.json())
    .then((list) => list[0]?.webSocketDebuggerUrl)
    .catch(() => sleep(100));
}
if (!target) throw new Error('the inspector of PID 1 did not open on 127.0.0.1:9229');

const ws = new WebSocket(target);
await new Promise((resolve, reject) => {
  ws.addEventListener('open', resolve);
  ws.addEventListener('error', reject);
});
const replies = new Map();
ws.addEventListener('message', (event) => {
  const reply = JSON.parse(String(event.data));
  replies.get(reply.id)?.(reply);
});
let lastId = 0;
const call = (method, params = {}) =>
  new Promise((resolve) => {
    replies.set(++lastId, resolve);
    ws.send(JSON.stringify({ id: lastId, method, params }));
  });

await call('HeapProfiler.collectGarbage');
const { result } = await call('Runtime.evaluate', { expression: 'process.memoryUsage().heapUsed' });
console.log((result.result.value / 2 ** 20).toFixed(1));
ws.close();
