// `npm run cluster`: several demo nodes on one PostgreSQL database, linked by Redis, behind one URL
// (docs/scaling.md). Each node is the demo server (`demo/scripts/start.mjs --dev`); a small TCP balancer
// hands each new connection to the next node that answers, so HTTP, dev tokens and websockets all go
// through one port. Plain JavaScript: it runs after `npm ci`, with no build.
//
//   node scripts/cluster.mjs [--nodes 3] [--port 8080] [--database postgres://postgres@127.0.0.1:5432/rxc_cluster]
//                            [--broker redis://127.0.0.1:6379]
//
// The database is created when missing. Prints `CLUSTER <url> <node ports…>` once every node listens.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { createServer, connect } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import pg from 'pg';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const { values } = parseArgs({
  options: {
    nodes: { type: 'string', default: '3' },
    port: { type: 'string', default: process.env.PORT ?? '8080' },
    database: { type: 'string', default: process.env.RXC_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/rxc_cluster' },
    broker: { type: 'string', default: process.env.RXC_BROKER_URL ?? 'redis://127.0.0.1:6379' },
    help: { type: 'boolean', default: false },
  },
});
if (values.help) {
  console.log('usage: node scripts/cluster.mjs [--nodes 3] [--port 8080] [--database postgres://…] [--broker redis://…]');
  process.exit(0);
}
const count = Number(values.nodes);
if (!Number.isInteger(count) || count < 1 || count > 16) throw new TypeError('--nodes must be an integer 1..16');

await ensureDatabase(values.database);
// Every node signs dev tokens with one key, written before any node starts (startDemo reads ./data).
const devKeyFile = join(root, 'data', 'dev-key.json');
if (!existsSync(devKeyFile)) {
  mkdirSync(dirname(devKeyFile), { recursive: true });
  const key = { keyId: `SK${randomBytes(16).toString('hex')}`, secret: randomBytes(32).toString('hex') };
  writeFileSync(devKeyFile, `${JSON.stringify(key, null, 2)}\n`, { mode: 0o600 });
}

const children = [];
const ports = [];
// One after another: each start bundles the demo into the same file.
for (let i = 0; i < count; i += 1) ports.push(await startNode(i));

let next = 0;
const balancer = createServer((inbound) => {
  inbound.pause();
  const attempt = (tries) => {
    const port = ports[next++ % ports.length];
    const outbound = connect(port, '127.0.0.1');
    outbound.once('connect', () => {
      inbound.pipe(outbound).pipe(inbound);
      inbound.resume();
    });
    outbound.once('error', () => {
      // A dead node: the next one takes the connection; the client never sees the difference.
      if (tries + 1 < ports.length) attempt(tries + 1);
      else inbound.destroy();
    });
    inbound.once('error', () => outbound.destroy());
    inbound.once('close', () => outbound.destroy());
  };
  attempt(0);
});
await new Promise((resolve) => balancer.listen(Number(values.port), '127.0.0.1', resolve));
const url = `http://127.0.0.1:${balancer.address().port}/`;
console.log(`CLUSTER ${url} ${ports.join(' ')}`);
console.log(`${count} nodes on ${redact(values.database)}, linked by ${values.broker}. Open ${url}`);

const stop = () => {
  for (const child of children) child.kill('SIGTERM');
  balancer.close();
  Promise.all(children.map((child) => new Promise((resolve) => (child.exitCode !== null ? resolve() : child.once('exit', resolve))))).then(() => process.exit(0));
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);

async function ensureDatabase(url) {
  const target = new URL(url);
  const name = decodeURIComponent(target.pathname.slice(1));
  if (!/^[A-Za-z0-9_]+$/.test(name)) throw new TypeError(`database name ${JSON.stringify(name)}: use letters, digits and _`);
  const admin = new URL(url);
  admin.pathname = '/postgres';
  const client = new pg.Client({ connectionString: admin.toString() });
  await client.connect();
  try {
    const { rowCount } = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (rowCount === 0) await client.query(`CREATE DATABASE ${name}`);
  } finally {
    await client.end();
  }
}

function startNode(i) {
  const child = spawn(
    process.execPath,
    [join(root, 'demo', 'scripts', 'start.mjs'), '--dev', '--port', '0', '--database', values.database, '--broker', values.broker],
    { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] },
  );
  children.push(child);
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (chunk) => {
      out += chunk;
      const match = /websocket ws:\/\/[^:]+:(\d+)/.exec(out);
      if (match !== null && out.includes('Open ')) {
        child.stdout.removeAllListeners('data');
        child.stdout.resume();
        console.log(`node ${i + 1} listening on ${match[1]}`);
        resolve(Number(match[1]));
      }
    });
    child.once('exit', (code) => reject(new Error(`node ${i + 1} exited (${code}) before listening:\n${out}`)));
  });
}

function redact(url) {
  const parsed = new URL(url);
  if (parsed.password !== '') parsed.password = '***';
  return parsed.toString();
}
