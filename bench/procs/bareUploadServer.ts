// PERF-12's baseline: a bare Node HTTP server that writes each request body to a file with a stream,
// as little as an upload endpoint can do. Answers `close` over IPC.
import { createWriteStream } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { onParentMessage, tellParent } from '../lib/child.js';
import { readConfig } from '../lib/config.js';

const config = readConfig();
let n = 0;
const server = createServer((req, res) => {
  n += 1;
  pipeline(req, createWriteStream(path.join(config.tmpDir, `bare-upload-${process.pid}-${n}`))).then(
    () => {
      res.writeHead(201, { 'content-type': 'application/json' });
      res.end('{}');
    },
    () => res.destroy(),
  );
});
server.listen(0, '127.0.0.1', () => tellParent({ type: 'listening', port: (server.address() as AddressInfo).port }));
onParentMessage((command) => {
  if (command.type === 'close') server.close(() => process.exit(0));
});
