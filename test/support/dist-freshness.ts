// Whether dist/ was built from the sources as they are now: the unit tests
// run the worker host and the sender thread from dist/ (vitest.config.ts),
// so a source edited since the last build would be tested by its old code.
// A source is stale when its built .js is missing (under src/) or older.

import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';

/** The directories whose built files the unit tests run: all of src/, and the test support the sender thread loads. */
const WATCHED: { dir: string; mustBuild: boolean }[] = [
  { dir: 'src', mustBuild: true },
  { dir: 'test/support', mustBuild: false },
];

/** Sources under `root` newer than their build in `root/dist` (or, under src/, never built), relative to `root`. */
export function staleSources(root: string): string[] {
  const stale: string[] = [];
  for (const { dir, mustBuild } of WATCHED) {
    for (const file of tsFiles(path.join(root, dir))) {
      const rel = path.relative(root, file);
      const built = path.join(root, 'dist', rel.replace(/\.ts$/, '.js'));
      if (!existsSync(built)) {
        if (mustBuild) stale.push(rel);
        continue;
      }
      if (statSync(file).mtimeMs > statSync(built).mtimeMs) stale.push(rel);
    }
  }
  return stale;
}

function tsFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile() && e.name.endsWith('.ts') && !e.name.endsWith('.d.ts'))
    .map((e) => path.join(e.parentPath, e.name));
}
