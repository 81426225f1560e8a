import { gzipSync } from 'node:zlib';
import { describe, expect, it } from '@jest/globals';
import { build } from 'esbuild';

/**
 * PERF-7: the client for browsers, ESM, minified + gzip, rxjs and immer included as used. The entry
 * re-exports the package's whole public surface, so this is the most an app can pull in.
 */
/** PERF-7's budget, in the bench's units (1 KB = 1,000 bytes; `npm run bench` reports the same figure). */
const BUDGET_BYTES = 40_000;

/** One entry point built as an app's bundler would for browsers: platform 'browser' fails on any `node:` import (SPEC §2). */
const buildForBrowsers = (entry: string, external: string[] = []) =>
  build({
    stdin: { contents: `export * from '${entry}';`, resolveDir: process.cwd(), loader: 'ts' },
    bundle: true,
    platform: 'browser',
    format: 'esm',
    target: 'es2022',
    conditions: ['source'],
    external,
    minify: true,
    write: false,
    metafile: true,
    logLevel: 'silent',
  });

describe('@rx-conversations/client browser bundle', () => {
  it('PERF-7: builds for browsers with no Node built-ins, within 40 KB minified + gzip', async () => {
    const result = await buildForBrowsers('@rx-conversations/client');
    const [bundle] = result.outputFiles;
    if (bundle === undefined) throw new Error('esbuild produced no output');
    const gzip = gzipSync(bundle.contents, { level: 9 }).length;
    const inputs = Object.keys(result.metafile.inputs);
    const fromPackage = (name: string): number => inputs.filter((path) => path.includes(`node_modules/${name}/`)).length;

    // Sizes do not depend on how busy the machine is: this budget is enforced here, timings only in the bench.
    console.log(
      `PERF-7 @rx-conversations/client browser bundle: ${(bundle.contents.length / 1000).toFixed(1)} KB minified, ` +
        `${(gzip / 1000).toFixed(1)} KB gzip of ${BUDGET_BYTES / 1000} KB (headroom ${BUDGET_BYTES - gzip} B; ` +
        `${inputs.length} modules, rxjs ${fromPackage('rxjs')}, immer ${fromPackage('immer')})`,
    );
    expect(inputs.some((path) => path.includes('node_modules/ws/'))).toBe(false);
    expect(gzip).toBeLessThanOrEqual(BUDGET_BYTES);
  });

  it('PERF-7: the media entry (@rx-conversations/client/media) builds for browsers with no Node built-ins; its size is reported apart', async () => {
    // What an app that sends files adds on top of the main entry (rxjs and the main entry excluded).
    const result = await buildForBrowsers('@rx-conversations/client/media', ['rxjs', '@rx-conversations/protocol']);
    const [bundle] = result.outputFiles;
    if (bundle === undefined) throw new Error('esbuild produced no output');
    const gzip = gzipSync(bundle.contents, { level: 9 }).length;
    console.log(`PERF-7 @rx-conversations/client/media browser bundle: ${(bundle.contents.length / 1000).toFixed(1)} KB minified, ${(gzip / 1000).toFixed(1)} KB gzip`);
    expect(gzip).toBeLessThan(5_000);
  });
});
