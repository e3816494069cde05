// Preloaded with `node --import <this file> dist/cli/surreal-migrate.js …`: it loads the CLI's
// modules, writes `barrier:ready` to stderr, and lets the command start only once a line arrives
// on stdin. Several processes released together then run their command at the same moment.
await import(new URL('../../dist/cli/cli.js', import.meta.url).href);
process.stderr.write('barrier:ready\n');
await new Promise((resolve) => process.stdin.once('data', resolve));
process.stdin.destroy();
