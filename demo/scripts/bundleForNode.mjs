// Runs TypeScript from this monorepo in plain Node 20 with no `npm run build` first: esbuild bundles the
// entry with our own code and the workspace packages taken from source (their `"source"` export
// condition), and leaves every npm dependency (ws, better-sqlite3, pino, jose, rxjs, …) external, to
// load from node_modules as usual.
import { build } from 'esbuild';
import { pathToFileURL } from 'node:url';

/** Bundle relative imports and @rx-conversations/*; leave every other package external. */
const externalNpmPackages = {
  name: 'external-npm-packages',
  setup(b) {
    b.onResolve({ filter: /^[^./]/ }, (args) => (args.path.startsWith('@rx-conversations/') ? undefined : { path: args.path, external: true }));
  },
};

/**
 * Bundles `entry` (a .ts file) into `outfile` (.mjs, with a source map) and imports it.
 * `outfile` must sit inside the repository so that the external packages resolve from its node_modules.
 */
export async function bundleForNode(entry, outfile) {
  await build({
    entryPoints: [entry],
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    conditions: ['source'],
    sourcemap: true,
    outfile,
    plugins: [externalNpmPackages],
    logLevel: 'warning',
  });
  process.setSourceMapsEnabled(true);
  return import(pathToFileURL(outfile).href);
}
