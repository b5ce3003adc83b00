// bench/results/EOS.md from what bench:eos kept: medians with their min–max
// over the rounds, and the ratios the two parts are about.

import { IDEMPOTENCE_TARGET, type EosResults, type IdemRow, type IdemVariantId, type Outcome, type TxnResults } from './eos-model.js';
import { machineTable } from './machine.js';
import { spread, type Spread } from './model.js';
import { median, withRange } from './report-format.js';

const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`;
const ratioText = (s: Spread | null): string => (s ? `${s.median.toFixed(3)} (${s.min.toFixed(3)}–${s.max.toFixed(3)})` : 'n/a');

function runsOk(o: Outcome<unknown>): string {
  return `${o.runs.length}/${o.runs.length + o.failures.length}`;
}

function idemTables(rows: IdemRow[]): string[] {
  const variants: IdemVariantId[] = ['idempotent', 'non-idempotent'];
  const lines = [
    '| workload | idempotent records/s median (min–max) | non-idempotent records/s median (min–max) | ratio of medians | ratio per round, median (min–max) | ≥ 0.95 | runs ok |',
    '|---|---:|---:|---:|---:|---|---:|',
  ];
  for (const row of rows) {
    const rate = (v: IdemVariantId) => spread(row.outcomes[v].runs.map((r) => row.workload.records / (r.wallMs / 1000)));
    const idem = rate('idempotent');
    const plain = rate('non-idempotent');
    const ratio = idem && plain ? idem.median / plain.median : null;
    const perRound = spread(row.roundRatios);
    const met = ratio === null ? 'n/a' : ratio >= IDEMPOTENCE_TARGET ? 'yes' : '**no**';
    lines.push(
      `| ${row.workload.title}, ${row.workload.records.toLocaleString('en-US')} records | ${withRange(idem)} | ${withRange(plain)} | ${ratio === null ? 'n/a' : ratio.toFixed(3)} | ${ratioText(perRound)} | ${met} | ${runsOk(row.outcomes.idempotent)}, ${runsOk(row.outcomes['non-idempotent'])} |`,
    );
  }
  lines.push('', '| workload | variant | MB/s | CPU s / M records | peak RSS MiB | event-loop p99 ms |', '|---|---|---:|---:|---:|---:|');
  for (const row of rows) {
    const w = row.workload;
    for (const v of variants) {
      const runs = row.outcomes[v].runs;
      const mb = spread(runs.map((r) => (w.records * w.valueSize) / 1e6 / (r.wallMs / 1000)));
      const cpu = spread(runs.map((r) => (r.cpuMs === null ? null : r.cpuMs / 1000 / (w.records / 1e6))));
      lines.push(`| ${w.title} | ${v} | ${median(mb)} | ${median(cpu)} | ${median(spread(runs.map((r) => r.maxRssMb)))} | ${median(spread(runs.map((r) => r.loopP99Ms)))} |`);
    }
  }
  return lines;
}

function txnTable(t: TxnResults): string[] {
  const lines = [
    '| client | version | records/s median (min–max) | commits/s median (min–max) | commitTransaction() p50 ms, median | CPU s / M records | peak RSS MiB | read_committed sees | runs ok |',
    '|---|---|---:|---:|---:|---:|---:|---:|---:|',
  ];
  for (const s of t.sides) {
    const runs = s.outcome.runs;
    const secs = (r: { wallMs: number }) => r.wallMs / 1000;
    const seen = runs.every((r) => r.committedSeen === r.records) && runs.length > 0 ? `${(t.transactions * t.recordsPerTransaction).toLocaleString('en-US')} in each run counted` : 'see failures';
    lines.push(
      `| ${s.label} | ${s.version} | ${withRange(spread(runs.map((r) => r.records / secs(r))))} | ${withRange(spread(runs.map((r) => r.transactions / secs(r))))} | ${median(spread(runs.map((r) => r.commitP50Ms)))} | ${median(spread(runs.map((r) => r.cpuMs / 1000 / (r.records / 1e6))))} | ${median(spread(runs.map((r) => r.maxRssMb)))} | ${seen} | ${runsOk(s.outcome)} |`,
    );
  }
  return lines;
}

function txnRatio(t: TxnResults): string {
  const [ours, java] = t.sides;
  const rate = (runs: { records: number; wallMs: number }[] | undefined) => spread((runs ?? []).map((r) => r.records / r.wallMs));
  const o = rate(ours?.outcome.runs);
  const j = rate(java?.outcome.runs);
  const ofMedians = o && j ? (o.median / j.median).toFixed(3) : 'n/a';
  return `Ours / Java, records/s (and so commits/s, the transactions being the same size): ${ofMedians} as a ratio of medians; per round ${ratioText(spread(t.roundRatios))}.`;
}

function failures(r: EosResults): string[] {
  const notes: string[] = [];
  for (const row of r.idempotence.rows) {
    for (const [v, o] of Object.entries(row.outcomes)) for (const e of o.failures) notes.push(`- ${row.workload.title}, ${v}: ${e.split('\n')[0]}`);
  }
  for (const s of r.transactions.sides) for (const e of s.outcome.failures) notes.push(`- transactions, ${s.label}: ${e.split('\n')[0]}`);
  return notes.length ? ['', '## Failed runs (left out of the medians)', '', ...notes] : [];
}

/** Which transactions protocol each side spoke: ours says (metrics().transactionVersion); Java's follows from the broker. */
function protocols(tv: number, t: EosResults['transactions']): string {
  const ours = t.sides.find((s) => s.id === 'ours')?.outcome.runs[0]?.transactionVersion;
  const oursText = ours === undefined ? 'ours did not say which it used' : `ours used v${ours} (metrics().transactionVersion)`;
  if (tv < 2) return `The broker has no transaction.version 2: both clients speak transactions protocol v1, with an AddPartitionsToTxn round trip before a partition's first batch of each transaction; ${oursText}.`;
  return `The broker has transaction.version ${tv} finalized, so the Java producer (kafka-clients 4.x) uses transactions protocol v2 (KIP-890; its TransactionManager logs \`isTV2 enabled to true\` against this broker): the broker adds a partition to the transaction when the first Produce for it arrives, and every EndTxn bumps the epoch; ${oursText}.`;
}

export function renderEosReport(r: EosResults): string {
  const t = r.transactions;
  const tv = r.transactionVersion;
  return [
    '# Idempotence and transactions',
    '',
    `Measured by \`npm run bench:eos\` from ${r.startedAt} to ${r.finishedAt}${r.quick ? ' (BENCH_QUICK: a tenth of the records; smoke numbers only)' : ''}: ${plural(r.idempotence.rounds, 'round')} of part 1, ${t.rounds} of part 2, the two sides of each comparison interleaved within every round and taking turns going first. Each side also made one warm-up run per workload, not counted.`,
    '',
    ...(r.brokerChanged ? ['**The broker on the port answered differently at the end of the run than at its start: another release or setting took its place, so these numbers compare across two brokers. Measure again.**', ''] : []),
    '## Machine',
    '',
    ...machineTable(r.machine, `${r.broker}; finalized transaction.version ${tv}`),
    `| kafka-producer-ts | ${r.ourVersion} |`,
    '',
    `The broker runs on the same cores as the clients, and the machine is shared, so every number includes that competition; the 1-minute load average was ${r.load.start.toFixed(2)} when the run started and ${r.load.end.toFixed(2)} when it ended.`,
    '',
    '## 1. What idempotence costs',
    '',
    `Our producer with \`enableIdempotence: true\` (the default) and \`false\`, both with acks 'all', so only idempotence differs; target: idempotent / non-idempotent ≥ ${IDEMPOTENCE_TARGET}.`,
    '',
    ...idemTables(r.idempotence.rows),
    '',
    `How it was driven: ${r.idempotence.how.idempotent ?? r.idempotence.how['non-idempotent'] ?? 'n/a'} (the non-idempotent runs the same with enableIdempotence false).`,
    '',
    `## 2. Transactions of ${t.recordsPerTransaction.toLocaleString('en-US')} records`,
    '',
    `${t.transactions} transactions of ${t.recordsPerTransaction.toLocaleString('en-US')} keyless ${t.valueSize} B records per run (${(t.transactions * t.recordsPerTransaction).toLocaleString('en-US')} records).`,
    '',
    ...txnTable(t),
    '',
    txnRatio(t),
    '',
    ...t.sides.map((s) => `- ${s.label}: ${s.how}.`),
    '',
    protocols(tv, t),
    '',
    '## How it is measured',
    '',
    '- Every run is a fresh process (a JVM for Java) on a fresh 6-partition topic, deleted afterwards; transactional runs use a fresh transactional id.',
    '- Part 1 uses the same runner as `npm run bench` (bench/clients/ours.ts): values are random printable ASCII, 1024 distinct values per size made before timing; wall time runs from the first send() to flush() resolving. A run counts only if the sum of the topic\'s latest offsets equals the records sent (no transactions there, so no markers): a lost or duplicated record fails the run.',
    '- The ratio of medians compares each variant\'s median; the ratio per round compares the two runs of the same round, which ran back to back, so it is less exposed to the machine drifting between rounds.',
    '- Part 2 times from the first beginTransaction() to the last commitTransaction() returning; initTransactions() and the topic\'s metadata come before, untimed, on both sides. commits/s is transactions / that time; commitTransaction() p50 is the median duration of the call, which flushes what is still unsent and then ends the transaction. A run counts only if kcat (librdkafka) reading with isolation.level=read_committed then sees exactly the records sent (latest offsets would also count the commit markers).',
    '- CPU is user + system time of the whole process (all threads: our worker thread; the JVM\'s sender, JIT and GC threads) during the timed section; peak RSS is the process\'s high-water mark. Java\'s JVM starts fresh each run, so its numbers include the JIT warming up within the run, as ours include V8\'s.',
    ...failures(r),
    '',
  ].join('\n');
}
