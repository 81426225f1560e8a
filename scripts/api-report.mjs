// API report: API Extractor writes each published package's public API (from its built .d.ts) to
// api/<package>.api.md, which is committed. `--check` (CI) fails when the built API differs from the
// committed report, so a change to the public API is always visible in review, in the same commit.
//
//   npm run api:update   rebuild the packages first (npm run build), then refresh api/*.api.md
//   npm run api:check    fail on any difference (what .ci/run does)
import { mkdirSync, existsSync, readFileSync, readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { Extractor, ExtractorConfig } from '@microsoft/api-extractor';
import { publishedPackages, root } from './lib/workspaces.mjs';

const check = process.argv.includes('--check');
const reportFolder = process.env.API_REPORT_FOLDER ?? join(root, 'api');
const tempFolder = join(root, 'test-output', 'api-report');
mkdirSync(reportFolder, { recursive: true });
mkdirSync(tempFolder, { recursive: true });

const failures = [];
const packages = publishedPackages();
/** Each package's entries: the main one, and subpath exports with types (`@rx-conversations/client/persistence`). */
const entries = packages.flatMap((pkg) => [
  { pkg, entry: join(pkg.dir, pkg.manifest.types ?? 'dist/index.d.ts'), report: `${pkg.short}.api.md` },
  ...Object.entries(pkg.manifest.exports ?? {})
    .filter(([subpath, target]) => subpath !== '.' && typeof target === 'object' && target !== null && typeof target.types === 'string')
    .map(([subpath, target]) => ({ pkg, entry: join(pkg.dir, target.types), report: `${pkg.short}-${subpath.slice(2).replaceAll('/', '-')}.api.md` })),
]);
for (const { pkg, entry, report } of entries) {
  if (!existsSync(entry)) {
    failures.push(`${pkg.name}: ${relative(root, entry)} is missing; run npm run build first`);
    continue;
  }
  const config = ExtractorConfig.prepare({
    packageJsonFullPath: join(pkg.dir, 'package.json'),
    configObjectFullPath: join(pkg.dir, 'api-extractor.json'), // virtual: only its folder is used
    configObject: {
      projectFolder: pkg.dir,
      mainEntryPointFilePath: entry,
      bundledPackages: [],
      compiler: {
        overrideTsconfig: {
          compilerOptions: {
            target: 'ES2022',
            module: 'NodeNext',
            moduleResolution: 'NodeNext',
            lib: ['ES2022', 'DOM'],
            types: ['node'],
            strict: true,
            skipLibCheck: true,
          },
          files: [entry],
        },
      },
      apiReport: {
        enabled: true,
        reportFileName: report,
        reportFolder,
        reportTempFolder: tempFolder,
      },
      docModel: { enabled: false },
      dtsRollup: { enabled: false },
      tsdocMetadata: { enabled: false },
      newlineKind: 'lf',
      messages: {
        compilerMessageReporting: { default: { logLevel: 'warning' } },
        extractorMessageReporting: {
          default: { logLevel: 'warning' },
          // We mark internals with @internal (stripped from .d.ts), not every public symbol with @public.
          'ae-missing-release-tag': { logLevel: 'none' },
          // A type used by the API but not exported by name shows up in the report, where review sees it.
          'ae-forgotten-export': { logLevel: 'none', addToApiReportFile: true },
          // Doc comments and {@link}s are checked by TypeDoc (npm run docs:api), which resolves links the
          // way the generated reference does.
          'ae-undocumented': { logLevel: 'none' },
          'ae-unresolved-link': { logLevel: 'none' },
        },
        // TSDoc style is not this check's business; the report is about the API's shape.
        tsdocMessageReporting: { default: { logLevel: 'none' } },
      },
    },
  });
  const result = Extractor.invoke(config, { localBuild: !check, showVerboseMessages: false });
  if (result.apiReportChanged && check) {
    failures.push(`${pkg.name}: public API differs from api/${report} (run npm run build && npm run api:update, and commit the report)`);
  } else if (!result.succeeded) {
    failures.push(`${pkg.name}: API Extractor failed (${result.errorCount} errors)`);
  }
}

// A report without a package (renamed or removed) is stale too.
const known = new Set(entries.map((e) => e.report));
for (const name of readdirSync(reportFolder).filter((n) => n.endsWith('.api.md') && !known.has(n))) {
  failures.push(`api/${name} belongs to no workspace package; delete it`);
}

if (failures.length > 0) {
  console.error(`\nAPI report ${check ? 'check' : 'update'} failed:\n  ${failures.join('\n  ')}`);
  process.exit(1);
}
console.log(`API report ${check ? 'matches' : 'written'} for ${packages.length} packages: ${packages.map((p) => p.short).join(', ')}`);
