import { gzipSync } from 'node:zlib';
import { describe, expect, it } from '@jest/globals';
import { build } from 'esbuild';

/**
 * PERF-7: the client for browsers, ESM, minified + gzip, rxjs and immer included as used. The entry
 * re-exports the package's whole public surface, so this is the most an app can pull in.
 */
/** PERF-7's budget, in the bench's units (1 KB = 1,000 bytes; `npm run bench` reports the same figure). */
const BUDGET_BYTES = 40_000;

/**
 * Entry points built together as an app's bundler would: for browsers (platform 'browser' fails on any
 * `node:` import, SPEC §2) or for Node. Gives the gzipped size and the modules that went in.
 */
async function bundleOf(entries: string[], platform: 'browser' | 'node' = 'browser'): Promise<{ bytes: number; gzip: number; inputs: string[] }> {
  const result = await build({
    stdin: { contents: entries.map((entry) => `export * from '${entry}';`).join('\n'), resolveDir: process.cwd(), loader: 'ts' },
    bundle: true,
    platform,
    format: 'esm',
    target: 'es2022',
    conditions: ['source'],
    minify: true,
    write: false,
    metafile: true,
    logLevel: 'silent',
  });
  const [bundle] = result.outputFiles;
  if (bundle === undefined) throw new Error('esbuild produced no output');
  return { bytes: bundle.contents.length, gzip: gzipSync(bundle.contents, { level: 9 }).length, inputs: Object.keys(result.metafile.inputs) };
}

describe('@rx-conversations/client browser bundle', () => {
  it('PERF-7: builds for browsers with no Node built-ins, within 40 KB minified + gzip', async () => {
    const { bytes, gzip, inputs } = await bundleOf(['@rx-conversations/client']);
    const fromPackage = (name: string): number => inputs.filter((path) => path.includes(`node_modules/${name}/`)).length;

    // Sizes do not depend on how busy the machine is: this budget is enforced here, timings only in the bench.
    console.log(
      `PERF-7 @rx-conversations/client browser bundle: ${(bytes / 1000).toFixed(1)} KB minified, ` +
        `${(gzip / 1000).toFixed(1)} KB gzip of ${BUDGET_BYTES / 1000} KB (headroom ${BUDGET_BYTES - gzip} B; ` +
        `${inputs.length} modules, rxjs ${fromPackage('rxjs')}, immer ${fromPackage('immer')})`,
    );
    expect(inputs.some((path) => path.includes('node_modules/ws/'))).toBe(false);
    expect(gzip).toBeLessThanOrEqual(BUDGET_BYTES);
  });

  it('PERF-11: the persistence adapters are subpath entries: the main entry stays within PERF-7 without them; their cost is reported', async () => {
    const main = await bundleOf(['@rx-conversations/client']);
    const browser = await bundleOf(['@rx-conversations/client', '@rx-conversations/client/persistence']);
    const nodeMain = await bundleOf(['@rx-conversations/client'], 'node');
    const node = await bundleOf(['@rx-conversations/client', '@rx-conversations/client/persistence-node'], 'node');
    console.log(
      `PERF-11 persistence cost, gzip on top of the main entry: /persistence (IndexedDB, browser) +${browser.gzip - main.gzip} B; ` +
        `/persistence-node (files, Node build) +${node.gzip - nodeMain.gzip} B; main entry alone ${(main.gzip / 1000).toFixed(1)} KB`,
    );
    // The cache's code is not in the main entry: an app that does not import it does not pay for it.
    expect(main.inputs.some((path) => path.includes('/persistence/storagePersistence'))).toBe(false);
    expect(browser.inputs.some((path) => path.includes('/persistence/storagePersistence'))).toBe(true);
    // The browser adapter never pulls the file adapter (nor Node) in.
    expect(browser.inputs.some((path) => path.includes('filePersistence'))).toBe(false);
    expect(main.gzip).toBeLessThanOrEqual(BUDGET_BYTES);
  });

  it('PERF-7: the media entry (@rx-conversations/client/media) is a subpath with no Node built-ins; its cost on top of the main entry is reported', async () => {
    const main = await bundleOf(['@rx-conversations/client']);
    const withMedia = await bundleOf(['@rx-conversations/client', '@rx-conversations/client/media']);
    console.log(`PERF-7 media cost, gzip on top of the main entry: /media (uploads, URLs) +${withMedia.gzip - main.gzip} B`);
    // The upload code is not in the main entry: an app that sends no files does not pay for it.
    expect(main.inputs.some((path) => path.includes('/media/MediaService'))).toBe(false);
    expect(withMedia.inputs.some((path) => path.includes('/media/MediaService'))).toBe(true);
  });

  it('PERF-7: the tab-sharing entry (@rx-conversations/client/tabs, OFFLINE-3) is a subpath for browsers; its cost on top of the main entry is reported', async () => {
    const main = await bundleOf(['@rx-conversations/client']);
    const withTabs = await bundleOf(['@rx-conversations/client', '@rx-conversations/client/tabs']);
    console.log(`PERF-7 tabs cost, gzip on top of the main entry: /tabs (one socket for all tabs) +${withTabs.gzip - main.gzip} B`);
    expect(main.inputs.some((path) => path.includes('/tabs/TabCore'))).toBe(false);
    expect(withTabs.inputs.some((path) => path.includes('/tabs/TabCore'))).toBe(true);
  });
});
