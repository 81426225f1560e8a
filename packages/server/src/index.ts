export { startServer } from './startServer.js';
export type { RunningServer, StartServerOptions } from './startServer.js';
export type { PushSender } from '@rx-conversations/server-core';
export { MemoryPushSender } from './MemoryPushSender.js';
export { WebhookPushSender } from './WebhookPushSender.js';
export type { WebhookPushSenderOptions } from './WebhookPushSender.js';
export { runCli } from './runCli.js';
export type { CliEnvironment, CliOutput, CliResult } from './runCli.js';
