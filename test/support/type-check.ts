import { mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { format, resolveConfig } from 'prettier';
import ts from 'typescript';
import { repoRoot } from './child.js';

/**
 * The diagnostics of `files` (name → text) compiled together as ES modules with `--strict`, the
 * SDK resolved from the repository's node_modules; `[]` when they type-check. Each diagnostic is
 * `<file>:<line>: <message>`.
 */
export async function typeCheck(files: Record<string, string>): Promise<string[]> {
  const dir = await mkdtemp(path.join(tmpdir(), 'type-check-'));
  try {
    await symlink(path.join(repoRoot, 'node_modules'), path.join(dir, 'node_modules'), 'dir');
    await writeFile(path.join(dir, 'package.json'), JSON.stringify({ type: 'module', private: true }));
    for (const [name, text] of Object.entries(files)) await writeFile(path.join(dir, name), text);
    const program = ts.createProgram(
      Object.keys(files).map((f) => path.join(dir, f)),
      {
        target: ts.ScriptTarget.ES2022,
        module: ts.ModuleKind.NodeNext,
        moduleResolution: ts.ModuleResolutionKind.NodeNext,
        lib: ['lib.es2023.d.ts'],
        types: [],
        strict: true,
        skipLibCheck: true,
        noEmit: true,
      },
    );
    return ts.getPreEmitDiagnostics(program).map((d) => {
      const where = d.file && d.start !== undefined ? d.file.getLineAndCharacterOfPosition(d.start) : undefined;
      const at = where ? `${path.basename(d.file!.fileName)}:${where.line + 1}: ` : '';
      return `${at}${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`;
    });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** `text` as Prettier prints TypeScript with the repository's settings. */
export async function prettierTs(text: string): Promise<string> {
  const options = await resolveConfig(path.join(repoRoot, 'src/index.ts'));
  return format(text, { ...options, parser: 'typescript' });
}
