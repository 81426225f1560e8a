// Runs inside the scratch consumer, so every import resolves from the installed tarballs: starts a real
// server from @rx-conversations/server, mints a token with @rx-conversations/token, then runs each
// consumer program given on the command line against it.
import { spawn } from 'node:child_process';
import { startServer } from '@rx-conversations/server';
import { createAccessToken } from '@rx-conversations/token';

const secret = 'consumer-check-secret-of-32-chars!!';
const server = await startServer({ port: 0, database: ':memory:', keys: { SK1: secret } });
let failed = 0;
try {
  for (const program of process.argv.slice(2)) {
    const token = await createAccessToken({ identity: `consumer-${program.replace(/\W+/g, '-')}`, keyId: 'SK1', secret });
    const started = Date.now();
    // Asynchronous: the server runs in this process and must keep serving while the program runs.
    const run = await new Promise((resolve) => {
      const child = spawn(process.execPath, [program], { env: { ...process.env, RXC_URL: server.url, RXC_TOKEN: token } });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (chunk) => (stdout += chunk));
      child.stderr.on('data', (chunk) => (stderr += chunk));
      const timer = setTimeout(() => child.kill(), 30_000);
      child.on('close', (status) => {
        clearTimeout(timer);
        resolve({ status, stdout, stderr });
      });
    });
    const ok = run.status === 0 && run.stdout.includes('ok:');
    if (!ok) failed += 1;
    console.log(`${ok ? 'pass' : 'FAIL'} run ${program} (${Date.now() - started} ms)${ok ? '' : `\n${run.stdout}${run.stderr}`}`);
  }
} finally {
  await server.close();
}
process.exit(failed === 0 ? 0 : 1);
