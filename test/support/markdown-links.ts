import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { repoRoot } from './child.js';

/**
 * The relative links of Markdown files, and whether they lead anywhere: a link to a file or folder
 * of the repository must name one that exists, and a `#heading` must name a heading of its target
 * (GitHub's anchors: lower case, punctuation dropped, spaces as hyphens). Links in code are not
 * links; absolute URLs are not checked.
 */
export interface MarkdownLink {
  /** The Markdown file, relative to the repository. */
  file: string;
  /** 1-based line of the link. */
  line: number;
  target: string;
}

const LINK = /\]\(([^()\s]+)(?:\s+"[^"]*")?\)/g;
const FENCE = /^\s*```/;

/** Every relative link of `markdown`, outside code fences and code spans. */
export function relativeLinks(file: string, markdown: string): MarkdownLink[] {
  const links: MarkdownLink[] = [];
  let fenced = false;
  for (const [index, text] of markdown.split(/\r?\n/).entries()) {
    if (FENCE.test(text)) {
      fenced = !fenced;
      continue;
    }
    if (fenced) continue;
    const prose = text.replace(/`[^`]*`/g, (span) => (span.includes('](') ? '' : span));
    for (const match of prose.matchAll(LINK)) {
      const target = match[1]!;
      if (/^[a-z][a-z0-9+.-]*:/i.test(target)) continue;
      links.push({ file, line: index + 1, target });
    }
  }
  return links;
}

/** GitHub's anchors for the headings of `markdown` (a repeated heading gets `-1`, `-2`, …). */
export function headingAnchors(markdown: string): Set<string> {
  const anchors = new Set<string>();
  const seen = new Map<string, number>();
  let fenced = false;
  for (const text of markdown.split(/\r?\n/)) {
    if (FENCE.test(text)) fenced = !fenced;
    const heading = !fenced && /^#{1,6}\s+(.*?)\s*#*\s*$/.exec(text);
    if (!heading) continue;
    const slug = heading[1]!
      .toLowerCase()
      .replace(/[^\p{L}\p{N}\s_-]/gu, '')
      .replace(/\s/g, '-');
    const count = seen.get(slug) ?? 0;
    seen.set(slug, count + 1);
    anchors.add(count === 0 ? slug : `${slug}-${count}`);
  }
  return anchors;
}

/** Why `link` leads nowhere, or undefined when it leads to something that exists. */
export async function brokenLink(link: MarkdownLink): Promise<string | undefined> {
  const [pathPart = '', anchor] = link.target.split('#', 2);
  const target = pathPart
    ? path.resolve(repoRoot, path.dirname(link.file), decodeURIComponent(pathPart))
    : path.join(repoRoot, link.file);
  if (!target.startsWith(repoRoot + path.sep) && target !== repoRoot) return 'leads out of the repository';
  if (!existsSync(target)) return 'no such file or folder';
  if (anchor === undefined) return undefined;
  if (!target.endsWith('.md')) return 'an anchor into a file that is not Markdown';
  const anchors = headingAnchors(await readFile(target, 'utf8'));
  return anchors.has(anchor) ? undefined : `no heading #${anchor} in ${path.relative(repoRoot, target)}`;
}
