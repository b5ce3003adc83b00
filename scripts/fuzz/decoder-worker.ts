// A worker thread running one share of the decoder cases (cli.ts starts it).
// It notes the case it is on in shared memory before running it, so that the
// main thread can name the case if this thread hangs or runs out of memory.

import { parentPort, workerData } from 'node:worker_threads';
import { DecoderFuzz, type Bounds } from './decoders.js';
import { loadFixtures } from './fixtures.js';

export interface DecoderWorkerData {
  seed: number;
  from: number;
  count: number;
  bounds: Bounds;
  progress: SharedArrayBuffer;
  slot: number;
}

const data = workerData as DecoderWorkerData;
const fuzz = new DecoderFuzz(loadFixtures(), data.seed, data.bounds);
parentPort?.postMessage(fuzz.run(data.from, data.count, { cells: new Int32Array(data.progress), slot: data.slot }));
