import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startDemo, type DemoServer } from '../src/startDemo.js';

const repo = fileURLToPath(new URL('../../', import.meta.url));
const example = join(repo, 'demo', 'examples', 'hello.ts');
let dir: string;
let demo: DemoServer;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'rxc-hello-'));
  demo = await startDemo({ port: 0, database: join(dir, 'hello.db'), dev: true });
});

afterAll(async () => {
  await demo?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('getting started: a first client in Node', () => {
  it('docs/getting-started.md shows demo/examples/hello.ts verbatim', () => {
    const doc = readFileSync(join(repo, 'docs', 'getting-started.md'), 'utf8');
    expect(doc).toContain(readFileSync(example, 'utf8'));
  });

  it('runs with `node demo/scripts/run.mjs` against the demo, sends, and exits after shutdown()', async () => {
    const { stdout } = await new Promise<{ stdout: string }>((resolve, reject) => {
      execFile(process.execPath, [join(repo, 'demo', 'scripts', 'run.mjs'), example], { cwd: repo, env: { ...process.env, DEMO_URL: demo.url }, timeout: 15_000 }, (err, out, errOut) =>
        err === null ? resolve({ stdout: out }) : reject(new Error(`${err.message}\n${out}\n${errOut}`)),
      );
    });
    expect(stdout).toContain('connection: connected');
    expect(stdout).toMatch(/#0 carol: Hi Alice, this is Node! \(sent\)/);
    expect(stdout).toContain('connection: disconnected');
  });
});
