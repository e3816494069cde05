/**
 * The structure of src, checked by `npm run lint` (dependency-cruiser): no import circle between
 * files (type-only imports count), and every folder imports only from the folders below it, so
 * that no circle between folders can form either. (No file over 400 lines: ESLint's max-lines.)
 *
 * The order, lowest first:
 * - the core's layers, src/core/<layer>/, each importing only from the layers before it;
 * - the shells over the core: src/nest, src/health, src/testing, src/cli, each importing the core
 *   and the shells before it; the core never imports them;
 * - src/index.ts, the package's entry point, imported by nothing but the demo;
 * - src/demo, which imports only the package's public entry points (src/index.ts,
 *   src/testing/index.ts, src/health/index.ts), and which nothing imports.
 */

/** The core's layers, lowest first. A new folder under src/core must be added here. */
const CORE_LAYERS = [
  'support',
  'events',
  'options',
  'surql',
  'db',
  'files',
  'history',
  'lock',
  'plan',
  'execution',
  'runner',
  'shadow',
  'analysis',
  'tenants',
  'manager',
];

/** The shells over the core, lowest first. */
const SHELLS = ['nest', 'health', 'testing', 'cli'];

const any = (names) => `(${names.join('|')})`;

/** One rule per layer: nothing from the layers above it. */
const coreLayerRules = CORE_LAYERS.slice(0, -1).map((layer, index) => ({
  name: `core-layer-${layer}`,
  severity: 'error',
  comment: `src/core/${layer} may import only from the layers below it: ${CORE_LAYERS.slice(0, index).join(', ') || '(none)'}.`,
  from: { path: `^src/core/${layer}/` },
  to: { path: `^src/core/${any(CORE_LAYERS.slice(index + 1))}/` },
}));

/** One rule per shell: nothing from the shells above it. */
const shellRules = SHELLS.slice(0, -1).map((shell, index) => ({
  name: `shell-${shell}`,
  severity: 'error',
  comment: `src/${shell} may import the core${index > 0 ? ` and ${SHELLS.slice(0, index).join(', ')}` : ''}, not ${SHELLS.slice(index + 1).join(', ')}.`,
  from: { path: `^src/${shell}/` },
  to: { path: `^src/${any(SHELLS.slice(index + 1))}/` },
}));

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'An import circle between files (type-only imports count): move what both need below both.',
      from: { path: '^src/' },
      to: { circular: true },
    },
    {
      name: 'no-unresolvable',
      severity: 'error',
      comment: 'An import that cannot be resolved would hide a dependency from every other rule.',
      from: { path: '^src/' },
      to: { couldNotResolve: true },
    },
    {
      name: 'core-known-layers',
      severity: 'error',
      comment: `Every folder under src/core is a layer listed in .dependency-cruiser.cjs: ${CORE_LAYERS.join(', ')}.`,
      from: { path: '^src/core/', pathNot: `^src/core/${any(CORE_LAYERS)}/` },
      to: {},
    },
    ...coreLayerRules,
    {
      name: 'core-not-shells',
      severity: 'error',
      comment: 'The core never imports the shells over it, the entry point or the demo.',
      from: { path: '^src/core/' },
      to: { path: `^src/(${any([...SHELLS, 'demo'])}/|index\\.ts$)` },
    },
    ...shellRules,
    {
      name: 'entry-point-only-for-demo',
      severity: 'error',
      comment: 'src/index.ts is the package entry point: only the demo imports it.',
      from: { path: '^src/', pathNot: '^src/demo/' },
      to: { path: '^src/index\\.ts$' },
    },
    {
      name: 'demo-public-entry-points',
      severity: 'error',
      comment:
        'src/demo uses the package as a consumer would: only src/index.ts, src/testing/index.ts and src/health/index.ts.',
      from: { path: '^src/demo/' },
      to: {
        path: '^src/',
        pathNot: ['^src/demo/', '^src/index\\.ts$', '^src/(testing|health)/index\\.ts$'],
      },
    },
    {
      name: 'nothing-imports-demo',
      severity: 'error',
      comment: 'The demo is an application of the package, not part of it.',
      from: { path: '^src/', pathNot: '^src/demo/' },
      to: { path: '^src/demo/' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^(dist|node_modules)/' },
    // Type-only imports are dependencies too: a circle of types is still a circle.
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
      mainFields: ['module', 'main', 'types', 'typings'],
    },
  },
};
