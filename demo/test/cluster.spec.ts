import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import pg from 'pg';

/**
 * SCALE-5: docs/scaling.md's one command (`npm run cluster`) brings up demo nodes on PostgreSQL + Redis
 * behind one URL, and the demo works through it: the page, dev tokens and the websocket all go through
 * the balancer. The test's own database is created by the script and dropped here.
 */

const repo = fileURLToPath(new URL('../../', import.meta.url));
const database = `rxc_cluster_test_${process.pid}_${Math.random().toString(36).slice(2, 8)}`;
const databaseUrl = `postgres://postgres@127.0.0.1:5432/${database}`;
let cluster: ChildProcess;
let url: string;
let nodePorts: number[];

beforeAll(async () => {
  cluster = spawn(process.execPath, [join(repo, 'scripts', 'cluster.mjs'), '--nodes', '2', '--port', '0', '--database', databaseUrl], {
    cwd: repo,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  cluster.stderr!.setEncoding('utf8').on('data', (chunk: string) => (err += chunk));
  [url, nodePorts] = await new Promise<[string, number[]]>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the cluster did not start within 60 s:\n${out}\n${err}`)), 60_000);
    cluster.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
      out += chunk;
      const match = /CLUSTER (\S+) ([\d ]+)\n/.exec(out);
      if (match === null) return;
      clearTimeout(timer);
      resolve([match[1]!, match[2]!.trim().split(' ').map(Number)]);
    });
    cluster.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`the cluster script exited (${code}):\n${out}\n${err}`));
    });
  });
}, 70_000);

afterAll(async () => {
  if (cluster !== undefined && cluster.exitCode === null) {
    const exited = new Promise((resolve) => cluster.once('exit', resolve));
    cluster.kill('SIGTERM');
    await exited;
  }
  const admin = new pg.Client({ connectionString: 'postgres://postgres@127.0.0.1:5432/postgres' });
  await admin.connect();
  await admin.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
  await admin.end();
}, 30_000);

describe('npm run cluster (SCALE-5)', () => {
  it('SCALE-5: starts two nodes behind one URL, which serves the demo page and dev tokens', async () => {
    expect(nodePorts).toHaveLength(2);
    const page = await fetch(url);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('data-testid="sign-in-form"');
    for (const port of nodePorts) expect((await fetch(`http://127.0.0.1:${port}/healthz`)).status).toBe(200);
  });

  it('SCALE-5: the getting-started client signs in, creates a conversation and sends through the balancer', async () => {
    const example = join(repo, 'demo', 'examples', 'hello.ts');
    const { stdout } = await new Promise<{ stdout: string }>((resolve, reject) => {
      execFile(process.execPath, [join(repo, 'demo', 'scripts', 'run.mjs'), example], { cwd: repo, env: { ...process.env, DEMO_URL: url }, timeout: 20_000 }, (err, out, errOut) =>
        err === null ? resolve({ stdout: out }) : reject(new Error(`${err.message}\n${out}\n${errOut}`)),
      );
    });
    expect(stdout).toContain('connection: connected');
    expect(stdout).toMatch(/#0 carol: Hi Alice, this is Node! \(sent\)/);
  }, 30_000);
});
