#!/usr/bin/env node
import { runCli } from './runCli.js';

const { exitCode, server } = await runCli(process.argv.slice(2), process.env);
if (server === undefined) {
  process.exitCode = exitCode;
} else {
  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    process.stdout.write(`${signal}: closing…\n`);
    server.close().then(
      () => process.exit(0),
      (err: unknown) => {
        process.stderr.write(`close failed: ${String(err)}\n`);
        process.exit(1);
      },
    );
  };
  process.once('SIGINT', () => stop('SIGINT'));
  process.once('SIGTERM', () => stop('SIGTERM'));
}
