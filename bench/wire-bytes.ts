// What a topic holds on the broker's disk: the sizes of its partitions' log
// segment files. The broker stores record batches as the producer sent them
// (compression.type=producer, the default), so over the records sent this is
// the bytes on the wire per record, batch framing and compression included.

import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';

/** Bytes in the topic's .log files under `logDirs` (every replica's copy), or null where no directory holds it. */
export function topicLogBytes(logDirs: readonly string[], topic: string, partitions: number): number | null {
  let total = 0;
  let found = false;
  for (const dir of logDirs) {
    for (let p = 0; p < partitions; p++) {
      const partitionDir = path.join(dir, `${topic}-${p}`);
      if (!existsSync(partitionDir)) continue;
      found = true;
      for (const f of readdirSync(partitionDir)) if (f.endsWith('.log')) total += statSync(path.join(partitionDir, f)).size;
    }
  }
  return found ? total : null;
}
