// Builds and runs one development probe under bench/dev/ (same bundling as bench/run.mjs).
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';
import { EXTERNAL } from '../lib/external.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const [name, ...args] = process.argv.slice(2);
const outfile = path.join(root, 'bench-results', '.build', `dev-${name}.mjs`);
await esbuild.build({
  entryPoints: [path.join(root, 'bench', 'dev', `${name}.ts`)],
  outfile, bundle: true, platform: 'node', format: 'esm', target: 'node20', conditions: ['source'],
  external: EXTERNAL,
  logLevel: 'warning',
});
execFileSync(process.execPath, ['--expose-gc', outfile, ...args], { stdio: 'inherit', cwd: root });
