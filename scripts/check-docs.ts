// npm run docs:check (CI runs it): the API reference in docs/api is what
// TypeDoc makes of the TSDoc comments now (typedoc.json fails on an
// undocumented export or a broken {@link}), and every relative link in
// README.md, CHANGELOG.md and docs/ (the reference included) reaches a file
// that exists. `npm run docs` regenerates docs/api.

import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

function markdownFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const full = path.join(dir, name);
    if (statSync(full).isDirectory()) return markdownFiles(full);
    return name.endsWith('.md') ? [full] : [];
  });
}

/** Files under dir, relative to it, each with its text. */
function snapshot(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (d: string) => {
    for (const name of readdirSync(d)) {
      const full = path.join(d, name);
      if (statSync(full).isDirectory()) walk(full);
      else out.set(path.relative(dir, full), readFileSync(full, 'utf8'));
    }
  };
  if (existsSync(dir)) walk(dir);
  return out;
}

const problems: string[] = [];

const fresh = mkdtempSync(path.join(os.tmpdir(), 'kpt-docs-'));
const typedoc = spawnSync(path.join(ROOT, 'node_modules', '.bin', 'typedoc'), ['--out', fresh], { cwd: ROOT, encoding: 'utf8' });
if (typedoc.status !== 0) problems.push(`typedoc failed (an undocumented export or a broken link?):\n${typedoc.stdout}${typedoc.stderr}`);
else {
  const committed = snapshot(path.join(ROOT, 'docs', 'api'));
  const generated = snapshot(fresh);
  const stale = [...new Set([...committed.keys(), ...generated.keys()])].filter((f) => committed.get(f) !== generated.get(f));
  if (stale.length > 0) problems.push(`docs/api is stale (run npm run docs and commit it): ${stale.slice(0, 10).join(', ')}`);
}
rmSync(fresh, { recursive: true, force: true });

const files = [path.join(ROOT, 'README.md'), path.join(ROOT, 'CHANGELOG.md'), ...markdownFiles(path.join(ROOT, 'docs'))];
let links = 0;
for (const file of files) {
  const text = readFileSync(file, 'utf8').replace(/```[\s\S]*?```/g, '');
  for (const [, target] of text.matchAll(/\]\(([^)\s]+)\)/g)) {
    if (!target || /^[a-z]+:/i.test(target) || target.startsWith('#')) continue;
    links++;
    const where = path.resolve(path.dirname(file), decodeURIComponent(target.split('#')[0] ?? ''));
    if (!existsSync(where)) problems.push(`${path.relative(ROOT, file)}: link to ${target}, which does not exist`);
  }
}

for (const p of problems) console.log(`FAIL  ${p}`);
console.log(`docs check: API reference ${problems.some((p) => p.startsWith('typedoc') || p.startsWith('docs/api')) ? 'wrong' : 'current'}; ${links} relative links in ${files.length} files; ${problems.length} problem(s)`);
process.exitCode = problems.length === 0 ? 0 : 1;
