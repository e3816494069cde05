/** Jest 30 + ts-jest in ESM mode; started with --experimental-vm-modules (see package.json). */
export default {
  testEnvironment: 'node',
  extensionsToTreatAsEsm: ['.ts'],
  moduleNameMapper: {
    '^(\\.{1,2}/.*)\\.js$': '$1',
  },
  transform: {
    '^.+\\.ts$': ['ts-jest', { useESM: true, tsconfig: 'tsconfig.json' }],
  },
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.spec.ts'],
  testTimeout: 60000,
  // SDK sessions under Jest's mixed realms (see the module's comment).
  setupFiles: ['<rootDir>/src/testing/typed-array-realm.ts'],
  // After any DEFINE INDEX, the embedded engine keeps a native handle that outlives close(); without
  // this, Jest would wait for it forever once every test has passed.
  forceExit: true,
};
