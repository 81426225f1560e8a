#!/usr/bin/env node
// The benchmark suite (SPEC §7, PERF-1..12): `npm run bench [-- --quick] [-- --only PERF-2,PERF-6]`.
//
// Bundles each TypeScript bench entry with esbuild (workspace packages from source through the
// `source` export condition, real npm dependencies left external), runs each figure in its own node
// process with a hard timeout, prints one table and writes it as JSON under bench-results/ (git-ignored).
// Benchmarks are not tests: nothing here runs under `npm test`, and no test asserts a timing.
import { spawn, execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import * as esbuild from 'esbuild';
import { EXTERNAL } from './lib/external.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const resultsDir = path.join(root, 'bench-results');
const RESULT_MARKER = '@@bench-result ';

// Real npm dependencies stay external: node resolves them from the root node_modules, so every bundle
// shares one copy of rxjs (the client's and the bench's observables must be the same library).

/**
 * Every figure: the entry that measures it (or an in-process function), the extra processes it starts,
 * its rows (so a figure that cannot run still shows up, as n/a), and a hard timeout.
 */
const FIGURES = [
  {
    id: 'PERF-1',
    entry: 'figures/storeCost', // also measures PERF-8: one process, both figures
    timeoutS: { full: 240, quick: 60 },
    rows: [
      { figure: 'PERF-1', unit: 'µs/event', target: '≤ 1.5× (100k vs 1k held)' },
      { figure: 'PERF-1 gap', unit: 'µs/event', target: '≤ 1.5× (100k vs 1k held)' },
    ],
  },
  {
    id: 'PERF-2',
    entry: 'figures/throughput',
    procs: ['procs/streamServer', 'procs/bareStreamClient', 'procs/rxStreamClient'],
    timeoutS: { full: 420, quick: 90 },
    rows: [
      { figure: 'PERF-2', unit: 'events/s', target: 'bare/ours ≤ 2.5× and ≥ 200k/s' },
      { figure: 'PERF-2 unobserved', unit: 'events/s', target: 'bare/ours ≤ 2.5× and ≥ 200k/s' },
    ],
  },
  {
    id: 'PERF-3',
    entry: 'figures/fanout',
    timeoutS: { full: 180, quick: 60 },
    rows: [{ figure: 'PERF-3', unit: 'µs/event', target: '≤ 0.5 µs routing @1,000 observers' }],
  },
  {
    id: 'PERF-4',
    entry: 'figures/latency',
    procs: ['procs/benchServer'],
    timeoutS: { full: 180, quick: 60 },
    rows: [
      { figure: 'PERF-4 p50', unit: 'ms', target: '≤ 1 ms' },
      { figure: 'PERF-4 p99', unit: 'ms', target: '≤ 5 ms' },
    ],
  },
  {
    id: 'PERF-5',
    entry: 'figures/initialSync',
    procs: ['procs/benchServer'],
    timeoutS: { full: 240, quick: 60 },
    rows: [{ figure: 'PERF-5', unit: 'ms', target: '≤ 1,000 ms' }],
  },
  {
    id: 'PERF-6',
    entry: 'figures/idleConnections',
    procs: ['procs/benchServer', 'procs/idleClients', 'procs/latencyProbe'],
    timeoutS: { full: 300, quick: 60 },
    rows: [
      { figure: 'PERF-6', unit: 'MiB', target: '≤ 1,024 MiB @10k connections' },
      { figure: 'PERF-6 latency', unit: 'ms p99', target: '≤ 5 ms p99, ≤ 1 ms p50 @10k idle' },
    ],
  },
  {
    id: 'PERF-9',
    entry: 'figures/audience',
    procs: ['procs/benchServer'],
    timeoutS: { full: 300, quick: 90 },
    rows: [
      { figure: 'PERF-9', unit: 'ms ack', target: '≤ 3× (1,000 vs 2 members)' },
      { figure: 'PERF-9 huge', unit: 'ms ack', target: '(diagnostic) 5,000 vs 2 members' },
    ],
  },
  {
    id: 'PERF-10',
    entry: 'figures/cluster',
    procs: ['procs/benchServer'],
    timeoutS: { full: 240, quick: 90 },
    rows: [
      { figure: 'PERF-10 p50', unit: 'ms', target: '≤ 1.5× (node A → node B vs one PostgreSQL node)' },
      { figure: 'PERF-10 p99', unit: 'ms', target: '≤ 2× (node A → node B vs one PostgreSQL node)' },
      { figure: 'PERF-10 PostgreSQL', unit: 'ms p50', target: '(diagnostic) one PostgreSQL node vs SQLite' },
    ],
  },
  {
    id: 'PERF-11',
    entry: 'figures/coldStart',
    procs: ['procs/benchServer'],
    timeoutS: { full: 240, quick: 60 },
    rows: [{ figure: 'PERF-11', unit: 'ms', target: '≤ 50 ms' }],
  },
  {
    id: 'PERF-12',
    entry: 'figures/mediaUpload',
    procs: ['procs/benchServer', 'procs/bareUploadServer'],
    timeoutS: { full: 180, quick: 60 },
    rows: [
      { figure: 'PERF-12 memory', unit: 'MiB', target: '≤ 32 MiB' },
      { figure: 'PERF-12 throughput', unit: 'MiB/s', target: '≥ 50% of a bare Node HTTP upload' },
    ],
  },
  {
    id: 'PERF-7',
    run: bundleSize,
    timeoutS: { full: 60, quick: 60 },
    rows: [{ figure: 'PERF-7', unit: 'KB gzip', target: '≤ 40 KB' }],
  },
  {
    id: 'PERF-8',
    entry: 'figures/storeCost',
    timeoutS: { full: 240, quick: 60 },
    rows: [{ figure: 'PERF-8', unit: 'µs', target: '≤ 150 µs' }],
  },
];

function parseArgs(argv) {
  const args = { quick: false, only: null, keepBuild: false, updateDocs: false, check: false, profile: false };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--quick') args.quick = true;
    else if (arg === '--keep-build') args.keepBuild = true;
    else if (arg === '--update-docs') args.updateDocs = true;
    else if (arg === '--check') args.check = true;
    else if (arg === '--profile') args.profile = true;
    else if (arg === '--only' || arg.startsWith('--only=')) {
      const value = arg === '--only' ? argv[++i] : arg.slice('--only='.length);
      args.only = new Set(String(value ?? '').split(',').map((s) => s.trim().toUpperCase()).filter(Boolean));
    } else if (arg === '--help' || arg === '-h') {
      process.stdout.write('usage: npm run bench [-- --quick] [-- --only PERF-2,PERF-6] [-- --keep-build] [-- --update-docs] [-- --check] [-- --profile]\n  --check: exit 1 when a figure could not be measured (n/a); never on a missed target\n  --profile: PERF-2 client processes write a CPU profile of the measured stream to bench-results/profiles/ (open in Chrome DevTools)\n');
      process.exit(0);
    } else {
      process.stderr.write(`unknown argument: ${arg}\n`);
      process.exit(2);
    }
  }
  return args;
}

async function buildEntry(entry, buildDir) {
  const name = path.basename(entry);
  try {
    await esbuild.build({
      entryPoints: [path.join(root, 'bench', `${entry}.ts`)],
      outfile: path.join(buildDir, `${name}.mjs`),
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: 'node20',
      conditions: ['source'],
      external: EXTERNAL,
      sourcemap: 'inline',
      logLevel: 'silent',
    });
    return { entry, ok: true };
  } catch (err) {
    const first = err.errors?.[0];
    const where = first?.location ? `${path.relative(root, first.location.file)}:${first.location.line}: ` : '';
    return { entry, ok: false, error: `${where}${first?.text ?? err.message}` };
  }
}

/** Why a figure is n/a, in the table's words: the package that is missing when that is the cause. */
function unavailableReason(error) {
  const missing = /Could not resolve "([^"]+)"/.exec(error);
  if (missing) {
    const pkg = /client/.test(missing[1]) ? 'client' : /server/.test(missing[1]) ? 'server' : missing[1];
    return `n/a (${pkg} not available: ${error})`;
  }
  return `n/a (build failed: ${error})`;
}

function runFigureProcess(figure, config, timeoutMs) {
  return new Promise((resolve) => {
    const file = path.join(config.buildDir, `${path.basename(figure.entry)}.mjs`);
    const child = spawn(process.execPath, ['--expose-gc', file], {
      cwd: root,
      env: { ...process.env, RXC_BENCH: JSON.stringify(config) },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true, // own process group, so a timeout kills the figure and everything it started
    });
    const results = [];
    const errTail = [];
    let buffer = '';
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk) => {
      buffer += chunk;
      let nl;
      while ((nl = buffer.indexOf('\n')) >= 0) {
        const line = buffer.slice(0, nl);
        buffer = buffer.slice(nl + 1);
        if (line.startsWith(RESULT_MARKER)) results.push(JSON.parse(line.slice(RESULT_MARKER.length)));
        else process.stderr.write(`  ${line}\n`);
      }
    });
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (chunk) => {
      process.stderr.write(chunk.replace(/^(?!\s*$)/gm, '  '));
      for (const line of chunk.split('\n')) if (line.trim()) errTail.push(line.trim());
      errTail.splice(0, Math.max(0, errTail.length - 20));
    });
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch {}
    }, timeoutMs);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      try {
        process.kill(-child.pid, 'SIGKILL'); // reap any process the figure left behind
      } catch {}
      const error = timedOut
        ? `timed out after ${timeoutMs / 1000} s`
        : code !== 0
          ? `exited with ${code ?? signal}: ${errTail.filter((l) => !l.startsWith('at ')).slice(-2).join(' | ')}`
          : null;
      resolve({ results, error });
    });
  });
}

async function bundleSize() {
  const entry = path.join(root, 'packages/client/src/index.ts');
  if (!existsSync(entry)) {
    return [row('PERF-7', 'KB gzip', '≤ 40 KB', null, null, null, 'n/a (client not available: packages/client/src/index.ts missing)')];
  }
  const result = await esbuild.build({
    entryPoints: [entry],
    bundle: true,
    platform: 'browser',
    format: 'esm',
    target: 'es2022',
    minify: true,
    conditions: ['source'],
    metafile: true,
    write: false,
    outfile: 'client.min.js',
    logLevel: 'silent',
  });
  const output = result.outputFiles.find((f) => f.path.endsWith('.js'));
  const raw = output.contents.byteLength;
  const gzip = gzipSync(output.contents, { level: 9 }).byteLength;
  const inputs = Object.values(result.metafile.outputs)[0].inputs;
  const byPackage = new Map();
  const byFile = [];
  for (const [file, info] of Object.entries(inputs)) {
    const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(file)?.[1] ?? (/packages\/([^/]+)/.exec(file)?.[1] ? `@rx-conversations/${/packages\/([^/]+)/.exec(file)[1]}` : file);
    byPackage.set(pkg, (byPackage.get(pkg) ?? 0) + info.bytesInOutput);
    byFile.push([file.replace(/^.*node_modules\//, '').replace(/^packages\//, ''), info.bytesInOutput]);
  }
  byFile.sort((a, b) => b[1] - a[1]);
  const packages = [...byPackage].sort((a, b) => b[1] - a[1]).map(([p, b]) => `${p} ${(b / 1000).toFixed(1)} KB`).join(', ');
  const top = byFile.slice(0, 6).map(([f, b]) => `${f} ${(b / 1000).toFixed(1)} KB`).join(', ');
  process.stderr.write(`  · bundle: raw ${raw} B, gzip ${gzip} B\n  · by package (minified): ${packages}\n  · top files: ${top}\n`);
  const kb = gzip / 1000;
  return [
    row('PERF-7', 'KB gzip', '≤ 40 KB', kb, null, null, `raw minified ${(raw / 1000).toFixed(1)} KB; by package (minified bytes): ${packages}; top files: ${top}`, kb <= 40),
  ];
}

function row(figure, unit, target, value, baseline, ratio, notes, pass = null) {
  return { figure, value, unit, baseline, ratio, target, pass: value === null ? null : pass, notes };
}

function fmt(value) {
  if (value === null || value === undefined) return 'n/a';
  if (typeof value !== 'number') return String(value);
  if (!Number.isFinite(value)) return String(value);
  const abs = Math.abs(value);
  if (abs >= 1_000) return Math.round(value).toLocaleString('en-US');
  if (abs >= 100) return value.toFixed(0);
  if (abs >= 10) return value.toFixed(1);
  if (abs >= 1) return value.toFixed(2);
  return value.toPrecision(2);
}

function tableRows(results) {
  return results.map((r) => ({
    figure: r.figure,
    value: r.value === null ? 'n/a' : `${fmt(r.value)} ${r.unit}`,
    baseline: r.baseline === null ? '—' : `${fmt(r.baseline)} ${r.unit === '×' ? '' : r.unit}`.trim(),
    ratio: r.ratio === null ? '—' : `${fmt(r.ratio)}×`,
    target: r.target,
    pass: r.pass === null ? 'n/a' : r.pass ? 'PASS' : 'FAIL',
  }));
}

const COLUMNS = ['figure', 'value', 'baseline', 'ratio', 'target', 'pass'];

function printTable(results) {
  const rows = tableRows(results);
  const widths = COLUMNS.map((c) => Math.max(c.length, ...rows.map((r) => [...r[c]].length)));
  const line = (cells) => cells.map((cell, i) => cell + ' '.repeat(widths[i] - [...cell].length)).join('  ');
  const out = [line(COLUMNS), line(widths.map((w) => '-'.repeat(w))), ...rows.map((r) => line(COLUMNS.map((c) => r[c])))];
  return out.join('\n');
}

function markdownTable(results) {
  const rows = tableRows(results);
  const head = `| ${COLUMNS.join(' | ')} |\n|${COLUMNS.map(() => '---').join('|')}|`;
  return [head, ...rows.map((r) => `| ${COLUMNS.map((c) => r[c]).join(' | ')} |`)].join('\n');
}

function machine() {
  let commit = null;
  try {
    commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {}
  const cpus = os.cpus();
  return {
    nproc: os.availableParallelism?.() ?? cpus.length,
    cpu: cpus[0]?.model ?? 'unknown',
    node: process.version,
    platform: `${process.platform} ${os.release()} ${process.arch}`,
    totalMemMiB: Math.round(os.totalmem() / 2 ** 20),
    // Anything else running skews timings; the load average says how quiet the machine was.
    loadAvgAtStart: os.loadavg().map((l) => Number(l.toFixed(2))),
    commit,
  };
}

async function main() {
  const args = parseArgs(process.argv.slice(2));
  const selected = FIGURES.filter((f) => !args.only || args.only.has(f.id));
  if (selected.length === 0) {
    process.stderr.write(`--only matched no figure (known: ${FIGURES.map((f) => f.id).join(', ')})\n`);
    process.exit(2);
  }
  const startedAt = new Date();
  const stamp = startedAt.toISOString().replace(/[:.]/g, '-');
  const buildDir = path.join(resultsDir, '.build', `run-${stamp}`);
  const tmpDir = path.join(buildDir, 'tmp');
  mkdirSync(tmpDir, { recursive: true });
  const config = { quick: args.quick, buildDir, tmpDir, ...(args.profile ? { profileDir: path.join(resultsDir, 'profiles', stamp) } : {}) };
  const facts = machine();
  process.stderr.write(
    `rx-conversations bench${args.quick ? ' (QUICK: reduced sizes, smoke test only)' : ''} — node ${facts.node}, ${facts.nproc} cpus (${facts.cpu})\n`,
  );

  const entries = [...new Set(selected.flatMap((f) => (f.entry ? [f.entry, ...(f.procs ?? [])] : [])))];
  const builds = new Map((await Promise.all(entries.map((e) => buildEntry(e, buildDir)))).map((b) => [b.entry, b]));
  for (const b of builds.values()) if (!b.ok) process.stderr.write(`  · build ${b.entry}: ${b.error}\n`);

  const results = [];
  const ran = new Map();
  for (const figure of selected) {
    const t0 = process.hrtime.bigint();
    process.stderr.write(`\n▶ ${figure.id}\n`);
    const timeoutMs = (args.quick ? figure.timeoutS.quick : figure.timeoutS.full) * 1000;
    let produced = [];
    let error = null;
    if (figure.run) {
      try {
        produced = await figure.run(config);
      } catch (err) {
        error = err.message;
      }
    } else if (!builds.get(figure.entry).ok) {
      error = unavailableReason(builds.get(figure.entry).error);
    } else {
      // Figures that share an entry (PERF-1 and PERF-8) run it once and each keep their own rows.
      if (!ran.has(figure.entry)) ran.set(figure.entry, await runFigureProcess(figure, config, timeoutMs));
      ({ results: produced, error } = ran.get(figure.entry));
      produced = produced.filter((r) => r.figure === figure.id || r.figure.startsWith(`${figure.id} `)).map((r) => ({ ...r }));
    }
    for (const expected of figure.rows) {
      if (!produced.some((r) => r.figure === expected.figure)) {
        produced.push(row(expected.figure, expected.unit, expected.target, null, null, null, error?.startsWith('n/a') ? error : `n/a (${error ?? 'no result reported'})`));
      }
    }
    if (args.quick) for (const r of produced) r.notes = `[quick sizes] ${r.notes}`;
    results.push(...produced);
    process.stderr.write(`  (${(Number(process.hrtime.bigint() - t0) / 1e9).toFixed(1)} s)\n`);
  }

  const durationS = (Date.now() - startedAt.getTime()) / 1000;
  facts.loadAvgAtEnd = os.loadavg().map((l) => Number(l.toFixed(2)));
  const table = printTable(results);
  process.stdout.write(`\n${args.quick ? 'QUICK MODE — reduced sizes; figures are a smoke test, not comparable to the targets.\n' : ''}${table}\n\nNotes:\n`);
  for (const r of results) process.stdout.write(`  ${r.figure}: ${r.notes}\n`);
  const summary =
    `${durationS.toFixed(0)} s, node ${facts.node}, ${facts.nproc} cpus (${facts.cpu}), load average ${facts.loadAvgAtStart[0]} at start / ${facts.loadAvgAtEnd[0]} at end, commit ${facts.commit ?? 'unknown'}`;
  process.stdout.write(`\n(${summary})\n`);

  const report = { startedAt: startedAt.toISOString(), durationS, quick: args.quick, only: args.only ? [...args.only] : null, machine: facts, results };
  mkdirSync(resultsDir, { recursive: true });
  writeFileSync(path.join(resultsDir, `${stamp}${args.quick ? '-quick' : ''}.json`), `${JSON.stringify(report, null, 2)}\n`);
  writeFileSync(path.join(resultsDir, 'latest.json'), `${JSON.stringify(report, null, 2)}\n`);
  writeFileSync(path.join(resultsDir, 'latest.md'), `${markdownTable(results)}\n\n${args.quick ? 'Quick mode (reduced sizes). ' : ''}${summary}.\n`);
  process.stderr.write(`wrote bench-results/${stamp}${args.quick ? '-quick' : ''}.json, latest.json, latest.md\n`);
  if (args.updateDocs) {
    // Only a full run of every figure may replace the table in docs/performance.md.
    if (args.quick || args.only) process.stderr.write('--update-docs ignored: only a full run of every figure updates docs/performance.md\n');
    else {
      const docs = path.join(root, 'docs', 'performance.md');
      const text = readFileSync(docs, 'utf8');
      const block = `<!-- bench:table -->\n${markdownTable(results)}\n\n${summary}.\n<!-- /bench:table -->`;
      writeFileSync(docs, text.replace(/<!-- bench:table -->[\s\S]*?<!-- \/bench:table -->/, block));
      process.stderr.write('updated the table in docs/performance.md\n');
    }
  }
  if (!args.keepBuild) rmSync(buildDir, { recursive: true, force: true });
  // CI smoke (--quick --check): the suite must still run; timings on a shared machine decide nothing.
  const unmeasured = results.filter((r) => r.value === null).map((r) => r.figure);
  if (args.check && unmeasured.length > 0) {
    process.stderr.write(`--check: not measured: ${unmeasured.join(', ')}\n`);
    process.exitCode = 1;
  }
}

main().catch((err) => {
  process.stderr.write(`${err.stack ?? err}\n`);
  process.exit(1);
});
