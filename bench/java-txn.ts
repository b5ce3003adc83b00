// The Java producer's side of the transactions bench: bench/java/TxnBench.java,
// compiled with javac at bench time against the kafka-clients jar of the
// broker's own release (the jars bench/broker.ts resolves), into dist/ so
// nothing compiled is committed, then one JVM per run.

import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { ROOT } from './machine.js';
import { lastJsonLine, runProcess } from './proc.js';
import type { TxnJob, TxnResult } from './txn-job.js';

const SOURCE = path.join(ROOT, 'bench', 'java', 'TxnBench.java');
const CLASSES = path.join(ROOT, 'dist', 'bench', 'java-classes');
const JVM_FLAGS = ['-Xmx512M', '-Dorg.slf4j.simpleLogger.defaultLogLevel=warn'];

export class JavaTxnProducer {
  readonly #libsDir: string;
  readonly clientsJar: string;

  /** Compiles TxnBench.java against `libsDir`'s kafka-clients jar; throws with javac's output if it fails. */
  constructor(libsDir: string) {
    this.#libsDir = libsDir;
    const jar = readdirSync(libsDir).find((f) => /^kafka-clients-[\d.]+\.jar$/.test(f));
    if (!jar) throw new Error(`bench:eos: no kafka-clients jar in ${libsDir}`);
    this.clientsJar = jar;
    mkdirSync(CLASSES, { recursive: true });
    // Always recompiled (about a second): a stale class from an older source or jar would go unnoticed.
    const res = spawnSync('javac', ['-nowarn', '-d', CLASSES, '-cp', path.join(libsDir, jar), SOURCE], { encoding: 'utf8' });
    if (res.error) throw new Error(`bench:eos: could not run javac (a JDK 17+ is needed): ${res.error.message}`);
    if (res.status !== 0) throw new Error(`bench:eos: javac failed:\n${res.stdout}${res.stderr}`);
  }

  get how(): string {
    return `bench/java/TxnBench.java on ${this.clientsJar}: KafkaProducer<byte[], byte[]> with transactional.id, acks=all, enable.idempotence=true, linger.ms=5, batch.size=16384, compression.type=none (the defaults, spelled out); initTransactions() and partitionsFor(topic) before timing, then per transaction beginTransaction(), send(record) without a callback, commitTransaction(); JVM ${JVM_FLAGS.join(' ')}`;
  }

  async run(job: TxnJob, timeoutMs: number): Promise<TxnResult> {
    const args = [
      ...JVM_FLAGS,
      '-cp',
      `${CLASSES}${path.delimiter}${path.join(this.#libsDir, '*')}`,
      'TxnBench',
      job.bootstrap,
      job.topic,
      job.transactionalId,
      String(job.transactions),
      String(job.recordsPerTransaction),
      String(job.valueSize),
    ];
    return lastJsonLine<TxnResult>(await runProcess('java', args, timeoutMs), timeoutMs);
  }
}
