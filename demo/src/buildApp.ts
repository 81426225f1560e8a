import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';

/** One file the demo serves. */
export interface StaticFile {
  readonly body: Buffer;
  readonly contentType: string;
}

/** The built web app: files by URL path, and the size of its script. */
export interface BuiltApp {
  readonly files: ReadonlyMap<string, StaticFile>;
  /** Bytes of `/main.js`, minified, and gzipped (level 9). */
  readonly scriptBytes: { readonly minified: number; readonly gzip: number };
}

/**
 * Bundles the demo's browser app (`demo/app/main.ts` with `@rx-conversations/client` from source)
 * with esbuild, in memory, next to its `index.html` and `style.css`.
 */
export async function buildApp(demoDir: string): Promise<BuiltApp> {
  const appDir = join(demoDir, 'app');
  const result = await build({
    entryPoints: [join(appDir, 'main.ts')],
    bundle: true,
    platform: 'browser',
    format: 'esm',
    target: 'es2022',
    // Workspace packages export `"source": "./src/index.ts"`: no `npm run build` needed first.
    conditions: ['source'],
    minify: true,
    sourcemap: 'linked',
    outdir: join(demoDir, '.build', 'app'),
    write: false,
    logLevel: 'silent',
  });
  const files = new Map<string, StaticFile>();
  let script: Buffer | undefined;
  for (const output of result.outputFiles) {
    const name = output.path.slice(output.path.lastIndexOf('/') + 1);
    const body = Buffer.from(output.contents);
    if (name === 'main.js') script = body;
    files.set(`/${name}`, { body, contentType: name.endsWith('.js') ? 'text/javascript; charset=utf-8' : 'application/json' });
  }
  if (script === undefined) throw new Error('esbuild produced no main.js');
  files.set('/', { body: await readFile(join(appDir, 'index.html')), contentType: 'text/html; charset=utf-8' });
  files.set('/style.css', { body: await readFile(join(appDir, 'style.css')), contentType: 'text/css; charset=utf-8' });
  return { files, scriptBytes: { minified: script.length, gzip: gzipSync(script, { level: 9 }).length } };
}
