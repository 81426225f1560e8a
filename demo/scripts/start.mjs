// `npm start`. Plain JavaScript so that it runs on a fresh clone after `npm ci`, with no `npm run build`:
// it bundles the demo's TypeScript entry (demo/src/main.ts, with the workspace packages from source)
// into demo/.build/server.mjs and runs it. See bundleForNode.mjs.
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { bundleForNode } from './bundleForNode.mjs';

const demoDir = join(dirname(fileURLToPath(import.meta.url)), '..');
const { main } = await bundleForNode(join(demoDir, 'src', 'main.ts'), join(demoDir, '.build', 'server.mjs'));
try {
  await main(process.argv.slice(2));
} catch (err) {
  if (err instanceof TypeError) console.error(`error: ${err.message}`);
  else if (err?.code === 'EADDRINUSE') console.error(`error: port ${err.port} is in use. Stop what runs there, or pick another: PORT=8081 npm start`);
  else console.error(err);
  process.exit(1);
}
