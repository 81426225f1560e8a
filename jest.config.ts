import type { Config } from 'jest';

/**
 * Every package is a jest project, and so are the demo (its browser test drives headless Chromium
 * through the real server) and the docs (every TypeScript sample is compiled).
 *
 * Tests run as native ESM (`--experimental-vm-modules`, see the root `test` script) because that is
 * what we ship: our packages are `"type": "module"` and `jose` 6 is ESM-only, so tests load the same
 * module graph a consumer's Node process does instead of a CommonJS transform of it. ts-jest only
 * transpiles (`isolatedModules`); `npm run lint` typechecks. Packages resolve each other from source,
 * so no build is needed to test.
 */
const project = (name: string, dir: string, testMatch: string[]): Config => ({
  displayName: name,
  rootDir: `<rootDir>/${dir}`,
  testEnvironment: 'node',
  extensionsToTreatAsEsm: ['.ts'],
  testMatch,
  moduleNameMapper: {
    '^@rx-conversations/([a-z-]+)$': '<rootDir>/../../packages/$1/src/index.ts'.replace('../../', dir.includes('/') ? '../../' : '../'),
    // Subpath entries (`@rx-conversations/client/persistence`) are `src/<subpath>.ts`.
    '^@rx-conversations/([a-z-]+)/([a-z-]+)$': '<rootDir>/../../packages/$1/src/$2.ts'.replace('../../', dir.includes('/') ? '../../' : '../'),
    '^(\\.{1,2}/.*)\\.js$': '$1',
  },
  transform: {
    '^.+\\.ts$': ['ts-jest', { useESM: true, tsconfig: `<rootDir>/${dir.includes('/') ? '../../' : '../'}tsconfig.jest.json` }],
  },
});

const packages = ['protocol', 'token', 'client', 'server-core', 'testing', 'server', 'angular'].map((name) =>
  project(name, `packages/${name}`, ['<rootDir>/src/**/*.spec.ts', '<rootDir>/test/**/*.spec.ts']),
);

// The server's integration suites (media included) once more on PostgreSQL (CORE-1: one behaviour on every store). The
// SQLite-specific suites (restart on the same file, fuzz corpora) and the several-node suites stay in
// the `server` project.
const serverOnPostgres: Config = {
  ...project('server-postgres', 'packages/server', ['<rootDir>/test/*.spec.ts', '<rootDir>/test/reliability/*.spec.ts', '<rootDir>/test/admin/*.spec.ts', '<rootDir>/test/media/*.spec.ts']),
  setupFiles: ['<rootDir>/test/postgres/onPostgres.ts'],
  testPathIgnorePatterns: ['/restart\\.spec\\.ts$'],
};

const config: Config = {
  projects: [
    ...packages,
    serverOnPostgres,
    project('demo', 'demo', ['<rootDir>/test/**/*.spec.ts']),
    project('docs', 'docs', ['<rootDir>/test/**/*.spec.ts']),
  ],
  testTimeout: 20_000,
};

export default config;
