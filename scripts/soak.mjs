#!/usr/bin/env node
// `npm run soak`: the long reliability runs that do not fit in `npm test` (docs/reliability.md).
// Bundles the TypeScript soak entry with esbuild (workspace packages from source via the `source`
// export condition; third-party packages stay external and resolve from node_modules), then runs it.
// Arguments are passed through: `npm run soak -- --only fuzz --fuzz-frames 200000`.
import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build } from 'esbuild';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const outdir = join(root, 'node_modules', '.cache', 'rxc-soak');
mkdirSync(outdir, { recursive: true });

const externalThirdParty = {
  name: 'external-third-party',
  setup(b) {
    b.onResolve({ filter: /^[^./]/ }, (args) => (args.path.startsWith('@rx-conversations/') ? undefined : { path: args.path, external: true }));
  },
};

const entries = [
  join(root, 'packages/server/test/reliability/soak/soakMain.ts'),
  join(root, 'packages/client/test/reliability/soak/clientSoak.ts'),
];
const { existsSync } = await import('node:fs');
const present = entries.filter((entry) => existsSync(entry));

const started = Date.now();
await build({
  entryPoints: present,
  outdir,
  outbase: root,
  bundle: true,
  splitting: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  conditions: ['source'],
  sourcemap: 'inline',
  logLevel: 'warning',
  plugins: [externalThirdParty],
});
process.stdout.write(`soak: bundled in ${Date.now() - started} ms\n`);

const out = (entry) => pathToFileURL(join(outdir, entry.slice(root.length + 1).replace(/\.ts$/, '.js'))).href;
const { main } = await import(out(present[0]));
const more = [];
if (present[1] !== undefined) {
  const client = await import(out(present[1]));
  more.push(...client.parts);
}
const code = await main(more);
process.exit(code);
