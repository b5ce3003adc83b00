// npm run mutate:ci's choices (scripts/mutate/ci.ts): which lines of a diff
// it mutates, and the score it fails under.

import { describe, expect, it } from 'vitest';
import { changedRanges, scoreOf } from '../../scripts/mutate/ci.js';

const DIFF = `diff --git a/src/sender/idempotence.ts b/src/sender/idempotence.ts
--- a/src/sender/idempotence.ts
+++ b/src/sender/idempotence.ts
@@ -10,2 +10,3 @@ export class ProducerIds {
@@ -40 +41 @@ step
@@ -50,4 +51,0 @@ removed only
diff --git a/src/producer.ts b/src/producer.ts
--- a/src/producer.ts
+++ b/src/producer.ts
@@ -1 +1,2 @@
diff --git a/src/sender/worker-entry.ts b/src/sender/worker-entry.ts
+++ b/src/sender/worker-entry.ts
@@ -1 +1 @@
diff --git a/src/config.ts b/src/config.ts
+++ b/src/config.ts
@@ -0,0 +7,5 @@
`;

describe('mutate:ci', () => {
  it('mutates the lines a change adds or alters, in the files npm run mutate covers only', () => {
    expect(changedRanges(DIFF)).toEqual(['src/sender/idempotence.ts:10-12', 'src/sender/idempotence.ts:41-41', 'src/config.ts:7-11']);
  });

  it('scores killed and timed-out mutants over those and the survivors, as Stryker does', () => {
    const report = {
      files: {
        a: { mutants: [{ status: 'Killed' }, { status: 'Timeout' }, { status: 'Survived' }, { status: 'CompileError' }] },
        b: { mutants: [{ status: 'NoCoverage' }, { status: 'Ignored' }] },
      },
    };
    expect(scoreOf(report)).toEqual({ killed: 2, total: 4, percent: 50 });
    expect(scoreOf({ files: {} }).percent).toBe(100);
  });
});
