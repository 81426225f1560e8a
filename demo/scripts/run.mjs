// `node demo/scripts/run.mjs some/file.ts [args…]`: runs a TypeScript file that uses the workspace
// packages, with no build step (used by docs/getting-started.md for a first client in Node).
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { bundleForNode } from './bundleForNode.mjs';

const [entry, ...args] = process.argv.slice(2);
if (entry === undefined) {
  console.error('usage: node demo/scripts/run.mjs <file.ts> [args…]');
  process.exit(2);
}
const demoDir = join(dirname(fileURLToPath(import.meta.url)), '..');
process.argv = [process.argv[0], resolve(entry), ...args];
await bundleForNode(resolve(entry), join(demoDir, '.build', 'run', `${basename(entry).replace(/\.[cm]?ts$/, '')}.mjs`));
