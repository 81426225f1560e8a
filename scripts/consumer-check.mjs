// Consumer check: what a user gets from the published tarballs, not from workspace links.
//
// 1. `npm pack` every published workspace package, and lint each tarball with publint and
//    @arethetypeswrong/cli.
// 2. Install the tarballs into one scratch app outside this repository (so nothing resolves from our
//    node_modules), Angular-style: the app depends on @angular/core and its own rxjs. Exactly one rxjs
//    may end up installed.
// 3. For every package: the names its types export as values are exactly what `import()` and
//    `require()` return at run time.
// 4. The ten-line client (scripts/consumer/) type-checks under TypeScript's `bundler`, `node16` and
//    `nodenext` resolution, and is bundled by esbuild and by rollup. Then a real server, started from the
//    installed @rx-conversations/server, serves each build: the tsc outputs, both bundles, a Node ESM
//    script and a CommonJS script that require()s the client.
//
// Usage: node scripts/consumer-check.mjs [--fail-fast]   (after npm run build; CI runs it from .ci/run)
// Exit code 1 when any step fails; --fail-fast stops at the first. RXC_CONSUMER_KEEP=1 keeps the
// scratch folder for a look.
import { spawnSync } from 'node:child_process';
import { copyFileSync, cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import ts from 'typescript';
import { build as esbuild } from 'esbuild';
import { rollup } from 'rollup';
import { nodeResolve } from '@rollup/plugin-node-resolve';
import { publishedPackages, root } from './lib/workspaces.mjs';

const started = Date.now();
const failFast = process.argv.includes('--fail-fast');
const scratch = mkdtempSync(join(tmpdir(), 'rxc-consumer-'));
const tarballs = join(scratch, 'tarballs');
const app = join(scratch, 'app');
const bin = (name) => join(root, 'node_modules', '.bin', name);
const failures = [];
const packages = publishedPackages();
const rootManifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));

function run(command, args, options = {}) {
  const result = spawnSync(command, args, { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024, ...options });
  return { ok: result.status === 0, stdout: result.stdout ?? '', output: `${result.stdout ?? ''}${result.stderr ?? ''}${result.error ? String(result.error) : ''}` };
}

/** Runs one named check; a fatal failure stops the run (later steps depend on it). */
async function step(name, fn, { fatal = false } = {}) {
  const t0 = Date.now();
  let problems;
  try {
    problems = (await fn()) ?? [];
  } catch (error) {
    problems = [error instanceof Error ? error.stack ?? error.message : String(error)];
  }
  const ms = Date.now() - t0;
  if (problems.length === 0) {
    console.log(`pass ${name} (${ms} ms)`);
    return;
  }
  console.log(`FAIL ${name} (${ms} ms)\n  ${problems.join('\n').replaceAll('\n', '\n  ')}`);
  failures.push(name);
  if (fatal || failFast) finish();
}

function finish() {
  if (process.env.RXC_CONSUMER_KEEP) console.log(`scratch kept at ${scratch}`);
  else rmSync(scratch, { recursive: true, force: true });
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  if (failures.length > 0) {
    console.error(`consumer check failed (${seconds} s): ${failures.join('; ')}`);
    process.exit(1);
  }
  console.log(`consumer check passed for ${packages.map((p) => p.short).join(', ')} (${seconds} s)`);
  process.exit(0);
}

// ── 1. pack and lint ──
const tarballOf = new Map();
await step('npm pack every package', () => {
  mkdirSync(tarballs, { recursive: true });
  const problems = [];
  for (const pkg of packages) {
    if (!existsSync(join(pkg.dir, 'dist'))) problems.push(`${pkg.name}: no dist/; run npm run build first`);
    const packed = run('npm', ['pack', pkg.dir, '--pack-destination', tarballs, '--json', '--ignore-scripts'], { cwd: pkg.dir });
    if (!packed.ok) {
      problems.push(`${pkg.name}: npm pack failed\n${packed.output}`);
      continue;
    }
    const [info] = JSON.parse(packed.stdout);
    tarballOf.set(pkg.name, join(tarballs, info.filename));
    const shipped = info.files.map((f) => f.path);
    for (const bad of shipped.filter((path) => /\.spec\.ts$|\.tsbuildinfo$/.test(path))) problems.push(`${pkg.name} ships ${bad}`);
    if (!shipped.includes('README.md')) problems.push(`${pkg.name} ships no README.md`);
  }
  return problems;
}, { fatal: true });

await step('publint --strict every tarball', () =>
  packages.flatMap((pkg) => {
    const result = run(bin('publint'), ['run', tarballOf.get(pkg.name), '--strict']);
    return result.ok ? [] : [`${pkg.name}:\n${result.output}`];
  }),
);

// Our packages are ESM only. attw still models Node's CommonJS as unable to require() ESM; Node 20.19+
// can, and the CommonJS consumer below proves it, so that one rule is off.
await step('@arethetypeswrong/cli every tarball', () =>
  packages.flatMap((pkg) => {
    const result = run(bin('attw'), [tarballOf.get(pkg.name), '--ignore-rules', 'cjs-resolves-to-esm', '--format', 'ascii', '--no-color']);
    return result.ok ? [] : [`${pkg.name}:\n${result.output}`];
  }),
);

// ── 2. one scratch app, installed from the tarballs ──
function rxjsFloor() {
  const ranges = packages.map((pkg) => pkg.manifest.peerDependencies?.rxjs).filter(Boolean);
  const floors = ranges.map((range) => /^\^(\d+\.\d+\.\d+)$/.exec(range)?.[1]);
  if (floors.length === 0 || floors.some((f) => f === undefined) || new Set(floors).size !== 1) {
    throw new Error(`rxjs peer ranges must all be one ^x.y.z range, found: ${ranges.join(', ') || 'none'}`);
  }
  return floors[0];
}

await step('install the tarballs into a scratch app (Angular-style, its own rxjs)', () => {
  mkdirSync(join(app, 'src'), { recursive: true });
  for (const file of ['client.ts', 'client.mjs', 'client.cjs', 'harness.mjs']) {
    copyFileSync(join(root, 'scripts', 'consumer', file), join(app, file === 'client.ts' ? 'src/client.ts' : file));
  }
  const dev = rootManifest.devDependencies;
  const manifest = {
    name: 'rxc-consumer-check',
    private: true,
    type: 'module',
    dependencies: {
      ...Object.fromEntries(packages.map((pkg) => [pkg.name, `file:${relative(app, tarballOf.get(pkg.name))}`])),
      // What `ng new` puts in an app: Angular and its own rxjs.
      '@angular/core': dev['@angular/core'],
      '@angular/compiler': dev['@angular/compiler'],
      // The lowest rxjs our peer range admits (the repo's own tests run the newest), so the range is tested.
      rxjs: rxjsFloor(),
      ws: packages.find((p) => p.short === 'server')?.manifest.dependencies?.ws ?? '^8.18.0',
      '@types/node': dev['@types/node'],
      '@types/ws': dev['@types/ws'],
    },
  };
  writeFileSync(join(app, 'package.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  // Install scripts are skipped: better-sqlite3 would compile for ~90 s. Its native module is the one
  // this repository already built, when the versions match; otherwise npm rebuilds it below.
  const install = run('npm', ['install', '--ignore-scripts', '--no-audit', '--no-fund', '--prefer-offline', '--loglevel=error'], { cwd: app });
  if (!install.ok) return [install.output];
  const ours = join(root, 'node_modules', 'better-sqlite3');
  const theirs = join(app, 'node_modules', 'better-sqlite3');
  if (existsSync(theirs)) {
    const version = (dir) => JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')).version;
    if (existsSync(join(ours, 'build', 'Release')) && version(ours) === version(theirs)) {
      cpSync(join(ours, 'build', 'Release'), join(theirs, 'build', 'Release'), { recursive: true });
    } else {
      const rebuild = run('npm', ['rebuild', 'better-sqlite3', '--foreground-scripts'], { cwd: app });
      if (!rebuild.ok) return [rebuild.output];
    }
  }
  return [];
}, { fatal: true });

await step('exactly one rxjs installed', () => {
  const found = [];
  const walk = (dir) => {
    for (const name of readdirSync(dir)) {
      if (name.startsWith('.')) continue;
      const path = join(dir, name);
      if (name.startsWith('@')) walk(path);
      else if (name === 'rxjs') found.push(relative(app, path));
      if (existsSync(join(path, 'node_modules'))) walk(join(path, 'node_modules'));
    }
  };
  walk(join(app, 'node_modules'));
  return found.length === 1 ? [] : [`expected one rxjs, found ${found.length}: ${found.join(', ')}`];
});

// ── 3. what the types promise exists at run time, from import() and require() ──
await step('every export in the types exists at run time (ESM import and CommonJS require)', () => {
  const names = packages.map((pkg) => pkg.name);
  writeFileSync(join(app, 'src', 'exports.ts'), names.map((name, i) => `import * as p${i} from '${name}';\nexport { p${i} };\n`).join(''));
  const program = ts.createProgram([join(app, 'src', 'exports.ts')], {
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    target: ts.ScriptTarget.ES2022,
    types: ['node'],
    skipLibCheck: true,
    noEmit: true,
  });
  const checker = program.getTypeChecker();
  const source = program.getSourceFile(join(app, 'src', 'exports.ts'));
  const typed = new Map();
  for (const statement of source.statements) {
    if (!ts.isImportDeclaration(statement)) continue;
    const name = statement.moduleSpecifier.text;
    const symbol = checker.getSymbolAtLocation(statement.moduleSpecifier);
    typed.set(
      name,
      symbol === undefined
        ? null
        : checker
            .getExportsOfModule(symbol)
            .filter((s) => ((s.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(s) : s).flags & ts.SymbolFlags.Value) !== 0)
            .map((s) => s.name)
            .sort(),
    );
  }
  writeFileSync(
    join(app, 'exports-runtime.cjs'),
    `const out = {};
     (async () => {
       // Partially compiled Angular libraries link at import time in Node and need the JIT compiler.
       await import('@angular/compiler').catch(() => {});
       for (const name of ${JSON.stringify(names)}) {
         // A package that fails to load (say, one importing a missing export of another) is its own
         // problem; the others are still checked.
         let esm; try { esm = Object.keys(await import(name)).sort(); } catch (e) { esm = String(e); }
         let cjs; try { cjs = Object.keys(require(name)).filter((k) => k !== '__esModule' && k !== 'module.exports').sort(); } catch (e) { cjs = String(e); }
         out[name] = { esm, cjs };
       }
       console.log(JSON.stringify(out));
     })();`,
  );
  const runtime = run(process.execPath, ['exports-runtime.cjs'], { cwd: app });
  if (!runtime.ok) return [runtime.output];
  const loaded = JSON.parse(runtime.output.trim().split('\n').pop());
  const problems = [];
  for (const name of names) {
    const types = typed.get(name);
    if (types === null) {
      problems.push(`${name}: TypeScript (nodenext) finds no types for it`);
      continue;
    }
    const { esm, cjs } = loaded[name];
    if (typeof esm === 'string') {
      problems.push(`${name}: import() failed: ${esm}`);
      continue;
    }
    if (typeof cjs === 'string') problems.push(`${name}: require() failed: ${cjs}`);
    const missing = types.filter((n) => !esm.includes(n));
    const untyped = esm.filter((n) => !types.includes(n));
    if (missing.length > 0) problems.push(`${name}: missing export at run time: ${missing.join(', ')} (the types declare it)`);
    if (untyped.length > 0) problems.push(`${name}: exported at run time but not in the types: ${untyped.join(', ')}`);
    if (types.length === 0) problems.push(`${name}: exports nothing`);
  }
  return problems;
});

// ── 4. the ten-line client: type-check in three resolution modes, bundle twice, run everything ──
const modes = {
  bundler: { module: 'ESNext', moduleResolution: 'Bundler' },
  node16: { module: 'Node16', moduleResolution: 'Node16' },
  nodenext: { module: 'NodeNext', moduleResolution: 'NodeNext' },
};
for (const [mode, options] of Object.entries(modes)) {
  await step(`tsc --moduleResolution ${mode}`, () => {
    const config = {
      compilerOptions: {
        ...options,
        target: 'ES2022',
        lib: ['ES2022', 'DOM'],
        types: ['node'],
        strict: true,
        esModuleInterop: true,
        // Our .d.ts files are checked too, as they would be in an app without skipLibCheck.
        skipLibCheck: false,
        outDir: `out/tsc-${mode}`,
        rootDir: 'src',
      },
      include: ['src'],
    };
    writeFileSync(join(app, `tsconfig.${mode}.json`), JSON.stringify(config, null, 2));
    const result = run(process.execPath, [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', `tsconfig.${mode}.json`], { cwd: app });
    return result.ok ? [] : [result.output];
  });
}

await step('esbuild bundle', async () => {
  const result = await esbuild({
    absWorkingDir: app,
    entryPoints: ['src/client.ts'],
    outfile: 'out/esbuild.mjs',
    bundle: true,
    platform: 'node',
    format: 'esm',
    external: ['ws'],
    logLevel: 'silent',
  });
  return result.errors.map((e) => e.text);
});

await step('rollup bundle (of the tsc bundler-mode output)', async () => {
  const warnings = [];
  const bundle = await rollup({
    input: join(app, 'out', 'tsc-bundler', 'client.js'),
    external: (id) => id === 'ws' || id.startsWith('node:'),
    plugins: [nodeResolve({ preferBuiltins: true })],
    onwarn: (warning) => {
      // An import rollup cannot resolve would silently stay external; that is a failure here.
      if (warning.code === 'UNRESOLVED_IMPORT' || warning.code === 'MISSING_EXPORT') warnings.push(warning.message);
    },
  });
  await bundle.write({ file: join(app, 'out', 'rollup.mjs'), format: 'es', inlineDynamicImports: true });
  await bundle.close();
  return warnings;
});

await step('bundles contain our code (not left as imports)', () =>
  ['esbuild.mjs', 'rollup.mjs']
    .filter((file) => existsSync(join(app, 'out', file)))
    .filter((file) => /from\s*["']@rx-conversations\//.test(readFileSync(join(app, 'out', file), 'utf8')))
    .map((file) => `${file} still imports @rx-conversations/* at run time`),
);

await step('run every build against a real server from the installed @rx-conversations/server', () => {
  const programs = [
    'client.mjs',
    'client.cjs',
    ...Object.keys(modes).map((mode) => `out/tsc-${mode}/client.js`),
    'out/esbuild.mjs',
    'out/rollup.mjs',
  ];
  const present = programs.filter((p) => existsSync(join(app, p)));
  const absent = programs.filter((p) => !present.includes(p)).map((p) => `${p} was not built`);
  const result = run(process.execPath, ['harness.mjs', ...present], { cwd: app });
  console.log(`  ${result.output.trim().replaceAll('\n', '\n  ')}`);
  return [...absent, ...(result.ok ? [] : ['a consumer program failed (above)'])];
});

finish();
