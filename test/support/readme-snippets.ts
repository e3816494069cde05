import { mkdtemp, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import ts from 'typescript';
import { repoRoot } from './child.js';

/**
 * The ```ts blocks of a Markdown text, type-checked as a reader would paste them into an app.
 *
 * Convention: a block whose previous non-blank line is `<!-- snippet: skip -->` (optionally
 * `<!-- snippet: skip: why -->`) is not checked. A block after `<!-- snippet: module db-types.ts -->`
 * is compiled as that file, which the other blocks import (`from './db-types.js'`): a module an app
 * has, shown in the guide (a generated one). Every other block is compiled as a module of its
 * own, with an import added for each name it uses and does not declare or import itself: the
 * exports of `@nestjs/*`, `surrealdb` and of this package (mapped to `src/`), and, for the app's
 * own names that snippets take as given (`AppModule`, `SURREAL`, `AdminTokenGuard`, …), a
 * declaration standing in for them.
 */
export interface Snippet {
  /** 1-based README line of the block's first line of code. */
  line: number;
  code: string;
  skip: false | { reason: string };
  /** The file the block is compiled as, for the other blocks to import (`<!-- snippet: module x.ts -->`). */
  module?: string;
}

export interface SnippetDiagnostic {
  /** The README line the diagnostic points at. */
  line: number;
  column: number;
  message: string;
}

const FENCE = /^```(\w*)\s*$/;
const SKIP = /^<!--\s*snippet:\s*skip(?:\s*:\s*(.*?))?\s*-->$/;
const MODULE = /^<!--\s*snippet:\s*module\s+([\w-]+\.ts)\s*-->$/;

export function extractSnippets(markdown: string): Snippet[] {
  const lines = markdown.split(/\r?\n/);
  const snippets: Snippet[] = [];
  let previous = '';
  for (let i = 0; i < lines.length; i++) {
    const fence = FENCE.exec(lines[i]!);
    if (!fence) {
      if (lines[i]!.trim()) previous = lines[i]!.trim();
      continue;
    }
    const end = lines.findIndex((l, j) => j > i && /^```\s*$/.test(l));
    const close = end === -1 ? lines.length : end;
    if (fence[1] === 'ts' || fence[1] === 'typescript') {
      const skip = SKIP.exec(previous);
      const module = MODULE.exec(previous)?.[1];
      snippets.push({
        line: i + 2,
        code: lines.slice(i + 1, close).join('\n'),
        skip: skip ? { reason: skip[1] ?? '' } : false,
        ...(module ? { module } : {}),
      });
    }
    previous = '';
    i = close;
  }
  return snippets;
}

/** Names an app has and snippets take as given. */
const STAND_INS: Record<string, string> = {
  AppModule: 'declare class AppModule {}',
  DatabaseModule: 'declare class DatabaseModule {}',
  SURREAL: "declare const SURREAL: unique symbol; // the app's own client token",
  AdminTokenGuard: 'declare class AdminTokenGuard { canActivate(): boolean; }',
  Metrics:
    'declare class Metrics { histogram(name: string, value: number, labels?: Record<string, unknown>): void; increment(name: string): void; }',
};

const PACKAGE = 'nestjs-surrealdb-migrations';
const ENTRY_POINTS: Record<string, string> = {
  [PACKAGE]: 'src/index.ts',
  [`${PACKAGE}/testing`]: 'src/testing/index.ts',
  [`${PACKAGE}/health`]: 'src/health/index.ts',
};
const LIBRARIES = [
  '@nestjs/common',
  '@nestjs/core',
  '@nestjs/config',
  '@nestjs/testing',
  '@nestjs/terminus',
  'surrealdb',
];

const COMPILER_OPTIONS: ts.CompilerOptions = {
  target: ts.ScriptTarget.ES2022,
  module: ts.ModuleKind.NodeNext,
  moduleResolution: ts.ModuleResolutionKind.NodeNext,
  lib: ['lib.es2023.d.ts'],
  types: ['node', 'jest'],
  strict: true,
  experimentalDecorators: true,
  emitDecoratorMetadata: true,
  esModuleInterop: true,
  skipLibCheck: true,
  noEmit: true,
};

/** Which module exports each name (the first wins: the package's own names before the libraries'). */
function exportedNames(program: ts.Program, files: Record<string, string>): Map<string, string> {
  const checker = program.getTypeChecker();
  const names = new Map<string, string>();
  for (const [specifier, file] of Object.entries(files)) {
    const source = program.getSourceFile(file);
    const symbol = source && checker.getSymbolAtLocation(source);
    if (!symbol) throw new Error(`readme-snippets: cannot read the exports of ${specifier} (${file})`);
    for (const exported of checker.getExportsOfModule(symbol)) {
      if (!names.has(exported.name)) names.set(exported.name, specifier);
    }
  }
  return names;
}

/** Names the snippet declares or imports itself. */
function ownNames(code: string): Set<string> {
  const own = new Set<string>();
  for (const m of code.matchAll(/\b(?:class|const|let|var|function|interface|type|enum)\s+([A-Za-z_$][\w$]*)/g)) {
    own.add(m[1]!);
  }
  for (const m of code.matchAll(/^import\s+(?:type\s+)?([^'"]*?)\s+from\s+['"]/gm)) {
    for (const name of m[1]!.replace(/[{}*]/g, ' ').split(/[\s,]+/)) {
      if (name && name !== 'type' && name !== 'as') own.add(name);
    }
  }
  return own;
}

/**
 * Type-checks the snippets that are not skipped, all in one program. Returns the diagnostics of
 * each, by the snippet's index in `snippets`, with README line numbers.
 */
export async function checkSnippets(snippets: readonly Snippet[]): Promise<Map<number, SnippetDiagnostic[]>> {
  const dir = await mkdtemp(path.join(tmpdir(), 'readme-snippets-'));
  try {
    await symlink(path.join(repoRoot, 'node_modules'), path.join(dir, 'node_modules'), 'dir');
    await writeFile(path.join(dir, 'package.json'), JSON.stringify({ type: 'module', private: true }));
    const options: ts.CompilerOptions = {
      ...COMPILER_OPTIONS,
      paths: Object.fromEntries(
        Object.entries(ENTRY_POINTS).map(([specifier, file]) => [specifier, [path.join(repoRoot, file)]]),
      ),
    };

    // The names each entry point exports, read from the sources themselves.
    const probeFile = path.join(dir, 'exports-probe.ts');
    const probeSpecifiers = [...Object.keys(ENTRY_POINTS), ...LIBRARIES];
    await writeFile(
      probeFile,
      probeSpecifiers.map((s, i) => `import * as m${i} from '${s}';`).join('\n') + '\nexport {};\n',
    );
    const probe = ts.createProgram([probeFile], options);
    const resolved: Record<string, string> = {};
    for (const specifier of probeSpecifiers) {
      const resolution = ts.resolveModuleName(specifier, probeFile, options, ts.sys).resolvedModule;
      if (!resolution) throw new Error(`readme-snippets: cannot resolve ${specifier}`);
      resolved[specifier] = resolution.resolvedFileName;
    }
    const exported = exportedNames(probe, resolved);

    const files = new Map<string, { index: number; offset: number }>();
    for (const [index, snippet] of snippets.entries()) {
      if (snippet.skip) continue;
      const own = ownNames(snippet.code);
      const used = identifiers(snippet.code);
      const uses = (name: string) => used.has(name) && !own.has(name);
      const bySpecifier = new Map<string, string[]>();
      for (const [name, specifier] of exported) {
        if (uses(name) && !(name in STAND_INS))
          bySpecifier.set(specifier, [...(bySpecifier.get(specifier) ?? []), name]);
      }
      const prelude = [
        ...[...bySpecifier].map(([specifier, names]) => `import { ${names.join(', ')} } from '${specifier}';`),
        ...Object.entries(STAND_INS)
          .filter(([name]) => uses(name))
          .map(([, declaration]) => declaration),
      ];
      const file = path.join(dir, snippet.module ?? `snippet-${String(index).padStart(2, '0')}.ts`);
      if (files.has(file)) throw new Error(`readme-snippets: two blocks are the module ${snippet.module}`);
      await writeFile(file, [...prelude, snippet.code, 'export {};', ''].join('\n'));
      files.set(file, { index, offset: prelude.length });
    }

    // Reuses the probe's source files: the libraries' declarations are parsed once.
    const program = ts.createProgram([...files.keys()], options, undefined, probe);
    const results = new Map<number, SnippetDiagnostic[]>([...files.values()].map(({ index }) => [index, []]));
    for (const diagnostic of ts.getPreEmitDiagnostics(program)) {
      const where = diagnostic.file && files.get(path.resolve(diagnostic.file.fileName));
      const message = ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n');
      if (!where || diagnostic.start === undefined) {
        // Not in a snippet (an option, a source of this package): report it against every snippet.
        for (const list of results.values())
          list.push({ line: 0, column: 0, message: `TS${diagnostic.code}: ${message}` });
        continue;
      }
      const { line, character } = diagnostic.file!.getLineAndCharacterOfPosition(diagnostic.start);
      results.get(where.index)!.push({
        line: snippets[where.index]!.line + line - where.offset,
        column: character + 1,
        message: `TS${diagnostic.code}: ${message}`,
      });
    }
    return results;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** The identifiers the code uses, other than member names (`a.name`): never in a comment or a string. */
function identifiers(code: string): Set<string> {
  const scanner = ts.createScanner(ts.ScriptTarget.Latest, true, ts.LanguageVariant.Standard, code);
  const names = new Set<string>();
  let previous = ts.SyntaxKind.Unknown;
  for (let token = scanner.scan(); token !== ts.SyntaxKind.EndOfFileToken; token = scanner.scan()) {
    if (token === ts.SyntaxKind.Identifier && previous !== ts.SyntaxKind.DotToken) names.add(scanner.getTokenText());
    previous = token;
  }
  return names;
}

/** A snippet with the Markdown file it comes from, relative to the repository. */
export interface DocumentedSnippet extends Snippet {
  file: string;
}

/** The Markdown files whose snippets are checked: the README and every guide under `docs/`. */
export async function documentationFiles(): Promise<string[]> {
  const guides = await readdir(path.join(repoRoot, 'docs'), { recursive: true });
  return [
    'README.md',
    ...guides
      .filter((f) => f.endsWith('.md'))
      .map((f) => path.posix.join('docs', f))
      .sort(),
  ];
}

/** The snippets of the README and of every guide, each with its file. */
export async function documentationSnippets(): Promise<DocumentedSnippet[]> {
  const all: DocumentedSnippet[] = [];
  for (const file of await documentationFiles()) {
    const markdown = await readFile(path.join(repoRoot, file), 'utf8');
    all.push(...extractSnippets(markdown).map((snippet) => ({ ...snippet, file })));
  }
  return all;
}
