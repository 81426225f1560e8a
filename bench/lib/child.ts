import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import type { BenchConfig } from './config.js';

/** A message over the IPC channel between a figure and the processes it starts. */
export interface IpcMessage {
  readonly type: string;
  readonly [key: string]: unknown;
}

/** A bench process started by a figure, talked to over IPC. */
export interface BenchChild {
  readonly process: ChildProcess;
  /** Sends a command. */
  send(message: IpcMessage): void;
  /** Resolves with the next message of `type` (queued ones first); rejects on exit or timeout. */
  next<T extends { readonly type: string } = IpcMessage>(type: string, timeoutMs: number): Promise<T>;
  /** Kills the process (SIGKILL) if it is still running. */
  kill(): void;
  /** Resolves when the process has exited. */
  readonly exited: Promise<number | null>;
}

export interface SpawnOptions {
  readonly args?: readonly string[];
  /** Raise the open-files limit in the child (via `ulimit -n` in a bash wrapper). */
  readonly fdLimit?: number;
  readonly nodeArgs?: readonly string[];
}

/**
 * Starts the bundled entry `name` (`<buildDir>/<name>.mjs`) with `--expose-gc`, an IPC channel, and
 * its stdout/stderr sent to our stderr (our stdout carries results only).
 */
export function spawnEntry(config: BenchConfig, name: string, options: SpawnOptions = {}): BenchChild {
  const file = path.join(config.buildDir, `${name}.mjs`);
  const nodeArgv = ['--expose-gc', ...(options.nodeArgs ?? []), file, ...(options.args ?? [])];
  const env = { ...process.env, RXC_BENCH: JSON.stringify(config) };
  const stdio: ['ignore', number, number, 'ipc'] = ['ignore', 2, 2, 'ipc'];
  const child = options.fdLimit
    ? spawn(
        'bash',
        ['-c', `ulimit -n ${options.fdLimit} 2>/dev/null || ulimit -n "$(ulimit -Hn)"; exec "$0" "$@"`, process.execPath, ...nodeArgv],
        { stdio, env },
      )
    : spawn(process.execPath, nodeArgv, { stdio, env });

  const queue: IpcMessage[] = [];
  const waiters: { type: string; resolve: (m: IpcMessage) => void; reject: (e: Error) => void }[] = [];
  let exitCode: number | null | undefined;
  const exited = new Promise<number | null>((resolve) => {
    child.on('exit', (code, signal) => {
      exitCode = code ?? (signal ? -1 : null);
      for (const waiter of waiters.splice(0)) waiter.reject(new Error(`${name} exited (${code ?? signal}) before '${waiter.type}'`));
      resolve(exitCode);
    });
  });
  child.on('message', (raw) => {
    const message = raw as IpcMessage;
    const index = waiters.findIndex((w) => w.type === message.type);
    if (index >= 0) waiters.splice(index, 1)[0]!.resolve(message);
    else queue.push(message);
  });

  return {
    process: child,
    exited,
    send(message) {
      if (child.connected) child.send(message);
    },
    next<T extends { readonly type: string }>(type: string, timeoutMs: number): Promise<T> {
      const queued = queue.findIndex((m) => m.type === type);
      if (queued >= 0) return Promise.resolve(queue.splice(queued, 1)[0] as T);
      if (exitCode !== undefined) return Promise.reject(new Error(`${name} has exited (${exitCode})`));
      return new Promise<T>((resolve, reject) => {
        const timer = setTimeout(() => {
          const i = waiters.indexOf(waiter);
          if (i >= 0) waiters.splice(i, 1);
          reject(new Error(`${name}: no '${type}' within ${timeoutMs} ms`));
        }, timeoutMs);
        const waiter = {
          type,
          resolve: (m: IpcMessage) => {
            clearTimeout(timer);
            resolve(m as T);
          },
          reject: (e: Error) => {
            clearTimeout(timer);
            reject(e);
          },
        };
        waiters.push(waiter);
      });
    },
    kill() {
      if (exitCode === undefined) child.kill('SIGKILL');
    },
  };
}

/** In a child: sends a message to the parent figure; resolves once it is handed to the channel. */
export function tellParent(message: IpcMessage): Promise<void> {
  return new Promise((resolve) => {
    if (!process.send) resolve();
    else process.send(message, undefined, {}, () => resolve());
  });
}

/** In a child: calls `handler` for each message from the parent. Exits when the parent goes away. */
export function onParentMessage(handler: (message: IpcMessage) => void): void {
  process.on('message', (raw) => handler(raw as IpcMessage));
  process.on('disconnect', () => process.exit(0));
}
