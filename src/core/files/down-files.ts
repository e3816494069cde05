/**
 * How a down script is named after its up script: the one place that writes the name (discovery
 * reads it, in `migration-files.ts`).
 */
import path from 'node:path';
import type { MigrationFile } from './migration-files.js';

/** How a folder names its down scripts: `0010_x.down.surql` ('dot') or `24_down.surrealql` ('underscore'). */
export type DownStyle = 'dot' | 'underscore';

/**
 * The name of the down script of the up script `upFileName`, in `style`; by default in the style
 * its name suggests: Open Notebook's `1.surrealql` pairs with `1_down.surrealql`, named files with
 * `<name>.down.surql`.
 */
export function downFileName(upFileName: string, style?: DownStyle): string {
  const ext = path.extname(upFileName);
  const stem = path.basename(upFileName, ext);
  const down = style ?? (/^\d+$/.test(stem) ? 'underscore' : 'dot');
  return down === 'dot' ? `${stem}.down${ext}` : `${stem}_down${ext}`;
}

/** The down script a rollback would need, named in its up script's style. */
export function expectedDownFile(directory: string, version: number, up: readonly MigrationFile[]): string {
  const upFile = up.find((u) => u.version === version);
  if (!upFile) return path.join(directory, downFileName(`${version}.surql`));
  return path.join(path.dirname(upFile.file), downFileName(path.basename(upFile.file)));
}
