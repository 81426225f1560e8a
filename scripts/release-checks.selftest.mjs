// Proof that the release checks catch what they are for: each case copies the built packages into a
// scratch repository, breaks one thing on purpose, and expects the check to fail for that reason.
// The real repository is never touched. CI runs it (npm run check:selftest) after the checks themselves
// pass on the real packages.
//
//   unreported API change      a new export in a .d.ts           → npm run api:check fails
//   missing export (API)       an export removed from a .d.ts    → npm run api:check fails
//   missing export (runtime)   an export removed from the .js    → the consumer check fails
//   types path does not resolve  exports.types points nowhere     → the consumer check fails
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { publishedPackages, root } from './lib/workspaces.mjs';

/** A scratch repository: root manifest, scripts, api reports, and each package's manifest, README and dist. */
function scratchCopy() {
  const dir = mkdtempSync(join(tmpdir(), 'rxc-selftest-'));
  for (const path of ['package.json', 'scripts', 'api']) cpSync(join(root, path), join(dir, path), { recursive: true });
  for (const pkg of publishedPackages()) {
    const rel = relative(root, pkg.dir);
    for (const path of ['package.json', 'README.md', 'dist']) {
      if (existsSync(join(pkg.dir, path))) cpSync(join(pkg.dir, path), join(dir, rel, path), { recursive: true });
    }
  }
  symlinkSync(join(root, 'node_modules'), join(dir, 'node_modules'), 'dir');
  return dir;
}

/** Edits a file of the scratch copy; throws when the edit changed nothing (the case would prove nothing). */
function edit(dir, path, change) {
  const file = join(dir, path);
  const before = readFileSync(file, 'utf8');
  const after = change(before);
  if (after === before) throw new Error(`self-test setup: editing ${path} changed nothing`);
  writeFileSync(file, after);
}

const cases = [
  {
    name: 'an unreported API change fails the API report check',
    command: ['scripts/api-report.mjs', '--check'],
    expect: /@rx-conversations\/token: public API differs/,
    breakIt: (dir) => {
      edit(dir, 'packages/token/dist/index.d.ts', (s) => `export declare function accidental(): void;\n${s}`);
      edit(dir, 'packages/token/dist/index.js', (s) => `export function accidental() {}\n${s}`);
    },
  },
  {
    name: 'an export removed from the types fails the API report check',
    command: ['scripts/api-report.mjs', '--check'],
    expect: /@rx-conversations\/client: public API differs/,
    breakIt: (dir) => edit(dir, 'packages/client/dist/index.d.ts', (s) => s.replace(/^export \{ ConversationsClient \} from .*$/m, '')),
  },
  {
    name: 'an export missing at run time fails the consumer check',
    command: ['scripts/consumer-check.mjs', '--fail-fast'],
    expect: /missing export at run time: ConversationsClient/,
    breakIt: (dir) => edit(dir, 'packages/client/dist/index.js', (s) => s.replace(/^export \{ ConversationsClient \} from .*$/m, '')),
  },
  {
    name: 'a types path that does not resolve fails the consumer check',
    command: ['scripts/consumer-check.mjs', '--fail-fast'],
    expect: /missing\.d\.ts/,
    breakIt: (dir) =>
      edit(dir, 'packages/client/package.json', (s) => s.replaceAll('"./dist/index.d.ts"', '"./dist/missing.d.ts"')),
  },
  {
    // Without this, the cases above could pass because the scratch copy itself is broken.
    name: 'the unbroken scratch copy passes the API report check',
    command: ['scripts/api-report.mjs', '--check'],
    expectPass: true,
    breakIt: () => {},
  },
];

let passed = 0;
let failed = 0;
for (const c of cases) {
  const dir = scratchCopy();
  const t0 = Date.now();
  try {
    c.breakIt(dir);
    const result = spawnSync(process.execPath, c.command, { cwd: dir, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
    const output = `${result.stdout}${result.stderr}`;
    const ok = c.expectPass ? result.status === 0 : result.status !== 0 && c.expect.test(output);
    if (ok) passed += 1;
    else failed += 1;
    const tail = output.trim().split('\n').slice(-25).join('\n  ');
    console.log(`${ok ? 'pass' : 'FAIL'} ${c.name} (${Date.now() - t0} ms)${ok ? '' : `\n  exit ${result.status}, expected ${c.expectPass ? 'success' : c.expect}; output:\n  ${tail}`}`);
  } catch (error) {
    failed += 1;
    console.log(`FAIL ${c.name}: ${error instanceof Error ? error.message : error}`);
  } finally {
    if (process.env.RXC_SELFTEST_KEEP !== "1") rmSync(dir, { recursive: true, force: true });
  }
}
console.log(`release checks self-test: ${passed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);
