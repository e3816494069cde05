// A Jest project with no forceExit, run by testing-kit-exit.spec.ts: the kit must let the run end
// by itself after migrations that define indexes.
export default {
  rootDir: '.',
  testEnvironment: 'node',
  testMatch: ['**/*.fixture.mjs'],
  transform: {},
};
