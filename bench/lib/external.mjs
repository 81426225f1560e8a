// The npm dependencies the bench's bundles leave external, so they load the same library copies an
// application would (bench/run.mjs and bench/dev/run.mjs).
export const EXTERNAL = ['ws', 'better-sqlite3', 'pg', 'ioredis', 'pino', 'pino/*', 'jose', 'rxjs', 'rxjs/*', 'immer', 'valibot', 'sharp', 'file-type', '@aws-sdk/*', 'fastify', '@fastify/*'];
