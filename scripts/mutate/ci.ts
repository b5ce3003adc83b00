// npm run mutate:ci (a CI step): mutation testing sized for CI. It mutates
// only the lines a change touches in the files `npm run mutate` covers
// (stryker.config.mjs), compared with the merge base of `main` (or
// MUTATE_BASE); with no such line, a fixed sample (SAMPLE). A change of more
// than MAX_LINES lines in those files runs the sample too and says to run
// `npm run mutate`: CI keeps to about five minutes. Fails when the score is
// under BREAK (surviving mutants that docs/mutation-testing.md does not list
// as equivalent are rules without a test).

import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';

// Built to dist/scripts/mutate/ci.js: the project is three levels up.
const ROOT = fileURLToPath(new URL('../../..', import.meta.url));
/** A rules file whose mutants all die (docs/mutation-testing.md): about a minute on an idle machine. */
const SAMPLE = ['src/sender/response-policy.ts'];
const MAX_LINES = 150;
const BREAK = 80;
/** The files of stryker.config.mjs's mutate list. */
const MUTATED = [/^src\/sender\/(?!worker-entry\.ts$)[^/]+\.ts$/, /^src\/accumulator\/.+\.ts$/, /^src\/partitioner\/.+\.ts$/, /^src\/protocol\/(record-batch|varint)\.ts$/, /^src\/(config|transactions)\.ts$/];

function git(args: string[]): string {
  const r = spawnSync('git', args, { cwd: ROOT, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`git ${args.join(' ')}: ${r.stderr.trim()}`);
  return r.stdout;
}

/** "file:from-to" for each run of lines the change adds or alters in a mutated file, against the merge base with `base`. */
export function changedRanges(diff: string): string[] {
  const ranges: string[] = [];
  let file: string | null = null;
  for (const line of diff.split('\n')) {
    const header = /^\+\+\+ (?:b\/)?(.+)$/.exec(line);
    if (header) {
      const name = header[1] as string;
      file = MUTATED.some((re) => re.test(name)) ? name : null;
      continue;
    }
    const hunk = /^@@ -\S+ \+(\d+)(?:,(\d+))? @@/.exec(line);
    if (hunk && file) {
      const from = Number(hunk[1]);
      const count = hunk[2] === undefined ? 1 : Number(hunk[2]);
      if (count > 0) ranges.push(`${file}:${from}-${from + count - 1}`);
    }
  }
  return ranges;
}

function linesIn(ranges: string[]): number {
  return ranges.reduce((n, r) => {
    const [from, to] = (r.split(':')[1] as string).split('-').map(Number) as [number, number];
    return n + to - from + 1;
  }, 0);
}

function main(): number {
  const base = process.env.MUTATE_BASE ?? 'main';
  let ranges: string[] = [];
  try {
    const mergeBase = git(['merge-base', base, 'HEAD']).trim();
    ranges = changedRanges(git(['diff', '-U0', mergeBase, '--', 'src']));
  } catch (err) {
    console.log(`mutate:ci: no diff against ${base} (${(err as Error).message}); the sample runs`);
  }
  let mutate = ranges;
  if (ranges.length === 0) {
    console.log(`mutate:ci: no changed line in the mutated files; the sample: ${SAMPLE.join(', ')}`);
    mutate = SAMPLE;
  } else if (linesIn(ranges) > MAX_LINES) {
    console.log(`mutate:ci: ${linesIn(ranges)} changed lines in the mutated files, more than ${MAX_LINES}: the sample runs here; run npm run mutate for the change`);
    mutate = SAMPLE;
  } else {
    console.log(`mutate:ci: the changed lines: ${ranges.join(' ')}`);
  }
  const r = spawnSync('npx', ['stryker', 'run', '--mutate', mutate.join(','), '--reporters', 'clear-text,progress,json'], { cwd: ROOT, stdio: 'inherit' });
  if (r.status !== 0) return r.status ?? 1;
  const score = scoreOf(JSON.parse(readFileSync(new URL('reports/mutation/mutation.json', `file://${ROOT}/`), 'utf8')) as Report);
  console.log(`mutate:ci: ${score.killed} of ${score.total} mutants killed: ${score.percent.toFixed(1)}% (fails under ${BREAK}%)`);
  return score.percent < BREAK ? 1 : 0;
}

interface Report {
  files: Record<string, { mutants: { status: string }[] }>;
}

/** Killed or timed out, over those plus survived and not covered (compile errors and ignored ones do not count), as Stryker scores. */
export function scoreOf(report: Report): { killed: number; total: number; percent: number } {
  let killed = 0;
  let total = 0;
  for (const f of Object.values(report.files)) {
    for (const m of f.mutants) {
      if (m.status === 'Killed' || m.status === 'Timeout') killed++;
      if (['Killed', 'Timeout', 'Survived', 'NoCoverage'].includes(m.status)) total++;
    }
  }
  return { killed, total, percent: total === 0 ? 100 : (100 * killed) / total };
}

// Run as a script (not when a test imports the functions above).
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) process.exitCode = main();
