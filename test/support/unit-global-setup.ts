// Vitest global setup of the unit project: dist/ rebuilt when a source is
// newer than it (the worker host and the sender thread run the built files,
// so `npx vitest run` after an edit would otherwise test the old code), and
// the python lz4 module that test/unit/lz4.test.ts checks our LZ4 codec
// against, installed into the project's cache on first use
// (scripts/tools/provision-tools.ts).

import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { TestProject } from 'vitest/node';
import { provisionPythonLz4 } from '../../scripts/tools/provision-tools.js';
import { staleSources } from './dist-freshness.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

function buildIfStale(): void {
  const stale = staleSources(ROOT);
  if (stale.length === 0) return;
  console.log(`dist/ is older than ${stale.slice(0, 3).join(', ')}${stale.length > 3 ? ` and ${stale.length - 3} more` : ''}: building (npm run build)`);
  const tsc = fileURLToPath(new URL('../../node_modules/typescript/bin/tsc', import.meta.url));
  const r = spawnSync(process.execPath, [tsc, '-p', 'tsconfig.build.json'], { cwd: ROOT, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`dist/ is stale and the build failed; fix it and run npm run build:\n${r.stdout}${r.stderr}`);
  const still = staleSources(ROOT);
  if (still.length > 0) throw new Error(`dist/ is still older than ${still.join(', ')} after the build: is the file outside tsconfig.build.json?`);
}

export default function setup(project: TestProject): void {
  buildIfStale();
  project.provide('pythonLz4', provisionPythonLz4());
}
