import type { Config } from 'jest';

/**
 * Every package is a jest project. Tests run as native ESM (`--experimental-vm-modules`, see the root
 * `test` script) because that is what we ship: our packages are `"type": "module"` and `jose` 6 is
 * ESM-only, so tests load the same module graph a consumer's Node process does instead of a
 * CommonJS transform of it. ts-jest only transpiles (`isolatedModules`); `npm run lint` typechecks.
 * Packages resolve each other from source, so no build is needed to test.
 */
const packages = ['protocol', 'token', 'client', 'testing', 'server'];

const project = (name: string): Config => ({
  displayName: name,
  rootDir: `<rootDir>/packages/${name}`,
  testEnvironment: 'node',
  extensionsToTreatAsEsm: ['.ts'],
  testMatch: ['<rootDir>/src/**/*.spec.ts', '<rootDir>/test/**/*.spec.ts'],
  moduleNameMapper: {
    '^@rx-conversations/([a-z-]+)$': '<rootDir>/../$1/src/index.ts',
    '^(\\.{1,2}/.*)\\.js$': '$1',
  },
  transform: {
    '^.+\\.ts$': ['ts-jest', { useESM: true, tsconfig: '<rootDir>/../../tsconfig.jest.json' }],
  },
});

const config: Config = {
  projects: packages.map(project),
  testTimeout: 20_000,
};

export default config;
