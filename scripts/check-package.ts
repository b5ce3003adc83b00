// npm run check:package (CI runs it): packs the package as `npm publish`
// would, lints the tarball (attw: the types resolve under every module
// resolution; publint: package.json points at what ships), installs it into
// a temporary project and uses it the ways a user does: ESM import of every
// subpath in package.json's exports, a strict TypeScript compile (with
// test/types/published.types.ts: what stripInternal leaves out stays out),
// CommonJS. Prints each check and "package check: N passed, N failed";
// --junit FILE writes a report.

import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

interface Outcome {
  name: string;
  /** null: passed; a string: why it failed. */
  failure: string | null;
  skipped?: string;
}

interface PackedFile {
  path: string;
}

const outcomes: Outcome[] = [];

function check(name: string, body: () => string | void): void {
  try {
    const detail = body();
    outcomes.push({ name, failure: null });
    console.log(`ok    ${name}${detail ? ` (${detail})` : ''}`);
  } catch (err) {
    const failure = err instanceof Error ? err.message : String(err);
    outcomes.push({ name, failure });
    console.log(`FAIL  ${name}: ${failure}`);
  }
}

function skip(name: string, reason: string): void {
  outcomes.push({ name, failure: null, skipped: reason });
  console.log(`skip  ${name}: ${reason}`);
}

/** Runs a command and returns its stdout; a non-zero exit throws with the end of its output. */
function run(command: string, args: string[], cwd: string): string {
  const res = spawnSync(command, args, { cwd, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (res.error) throw new Error(`${command}: ${res.error.message}`);
  if (res.status !== 0) {
    const tail = `${res.stdout}${res.stderr}`.trim().split('\n').slice(-15).join('\n');
    throw new Error(`${command} ${args.join(' ')} exited with ${res.status}:\n${tail}`);
  }
  return res.stdout;
}

/** package.json's export subpaths that are modules ('.', './protocol', ...), without './package.json'. */
function exportedSubpaths(): string[] {
  const pkg = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { exports: Record<string, unknown> };
  return Object.keys(pkg.exports).filter((k) => !k.endsWith('.json'));
}

/** What a user imports for a subpath: './protocol' is 'kafka-producer-ts/protocol'. */
function specifier(subpath: string): string {
  return subpath === '.' ? 'kafka-producer-ts' : `kafka-producer-ts/${subpath.slice(2)}`;
}

/** Every subpath imports from ESM, and resolves under TypeScript's node10 resolution (which ignores exports) through typesVersions. */
function subpathChecks(project: string): string {
  const pkg = JSON.parse(readFileSync(path.join(project, 'node_modules', 'kafka-producer-ts', 'package.json'), 'utf8')) as {
    typesVersions?: Record<string, Record<string, string[]>>;
  };
  const mapped = pkg.typesVersions?.['*'] ?? {};
  const subpaths = exportedSubpaths();
  const unmapped = subpaths.filter((s) => s !== '.' && !mapped[s.slice(2)]);
  if (unmapped.length > 0) throw new Error(`add ${unmapped.join(', ')} to package.json's typesVersions["*"] (node10 resolution ignores exports)`);
  const lines = subpaths.map((s, i) => `const m${i} = await import('${specifier(s)}');\nif (Object.keys(m${i}).length === 0) throw new Error('${specifier(s)} exports nothing');`);
  lines.push(`console.log('${subpaths.map(specifier).join(', ')}');`);
  writeFileSync(path.join(project, 'subpaths.mjs'), `${lines.join('\n')}\n`);
  return run(process.execPath, ['subpaths.mjs'], project).trim();
}

function devVersion(pkg: string): string {
  return (JSON.parse(readFileSync(path.join(ROOT, 'node_modules', pkg, 'package.json'), 'utf8')) as { version: string }).version;
}

// What a user writes: the three files the project below runs or compiles.
const ESM_CHECK = `
import * as api from 'kafka-producer-ts';
import * as protocol from 'kafka-producer-ts/protocol';
const errors = ['ConfigError', 'InvalidRecordError', 'SerializationError', 'KafkaTimeoutError', 'BufferExhaustedError',
  'KafkaResponseError', 'ProducerClosedError', 'ProducerFatalError'];
for (const name of errors) {
  if (!(api[name]?.prototype instanceof api.KafkaClientError)) throw new Error(name + ' is not exported as a KafkaClientError');
}
const internal = ['Connection', 'Cluster', 'MetadataCache', 'parseBootstrapServers', 'Produce', 'Reader', 'encodeRequest'];
const leaked = internal.filter((name) => name in api);
if (leaked.length > 0) throw new Error('internal names exported: ' + leaked.join(', '));
if (protocol.Produce?.key !== 0 || typeof protocol.buildRecordBatch !== 'function') throw new Error('kafka-producer-ts/protocol lacks Produce or buildRecordBatch');
const producer = new api.KafkaProducer({ bootstrapServers: '127.0.0.1:9092' });
await producer.close();
console.log(Object.keys(api).length + ' exports; ' + errors.length + ' error classes; producer constructed and closed');
`;

const CJS_CHECK = `
async function main() {
  // The recipe for every Node 20: a dynamic import from CommonJS.
  const { KafkaProducer } = await import('kafka-producer-ts');
  if (typeof KafkaProducer !== 'function') throw new Error('await import() gave no KafkaProducer');
  if (process.argv[2] !== 'require') return console.log('await import() works');
  // Node 20.19+ and 22.12+ require() an ES module that has no top-level await.
  const viaRequire = require('kafka-producer-ts');
  if (viaRequire.KafkaProducer !== KafkaProducer) throw new Error('require() and import() gave different classes');
  if (require('kafka-producer-ts/protocol').Produce.key !== 0) throw new Error('require() of kafka-producer-ts/protocol failed');
  const producer = new viaRequire.KafkaProducer({ bootstrapServers: '127.0.0.1:9092' });
  await producer.close();
  console.log('require() works');
}
main().catch((err) => { console.error(err); process.exit(1); });
`;

const TS_CHECK = `
import {
  KafkaProducer,
  KafkaResponseError,
  type Partitioner,
  type ProducerOptions,
  type ProducerRecord,
  type RecordMetadata,
  type SendCallback,
} from 'kafka-producer-ts';
import { buildRecordBatch, type RecordInput } from 'kafka-producer-ts/protocol';

const byLength: Partitioner = (_topic, key, _value, partitionCount) => (key?.length ?? 0) % partitionCount;
const options: ProducerOptions = { bootstrapServers: ['127.0.0.1:9092'], acks: 'all', compressionType: 'lz4', partitioner: byLength };
const record: ProducerRecord<string, Buffer> = { topic: 'orders', key: 'alice', value: Buffer.from('created'), headers: { source: 'web' } };
const onDone: SendCallback = (err, metadata) => {
  if (err instanceof KafkaResponseError) console.log(err.errorCode, err.action, err.retriable);
  else if (metadata) console.log(metadata.partition, metadata.offset);
};

export async function main(): Promise<RecordMetadata> {
  const producer = new KafkaProducer(options);
  producer.send(record, onDone);
  const metadata = await producer.send(record);
  await producer.close();
  return metadata;
}

// The types are real, not any: a misspelt option does not compile.
// @ts-expect-error lingerMS is not an option (lingerMs is)
new KafkaProducer({ bootstrapServers: '127.0.0.1:9092', lingerMS: 5 });

const records: RecordInput[] = [{ key: Buffer.from('k'), value: Buffer.from('v'), timestamp: Date.now() }];
export const batch: Buffer = buildRecordBatch(records);
`;

const TS_CONFIG = {
  compilerOptions: {
    target: 'ES2022',
    module: 'NodeNext',
    moduleResolution: 'NodeNext',
    types: ['node'],
    strict: true,
    noUncheckedIndexedAccess: true,
    exactOptionalPropertyTypes: true,
    noEmit: true,
  },
  files: ['use.ts', 'published.types.ts'],
};

function main(): void {
  const junitIndex = process.argv.indexOf('--junit');
  const junit = junitIndex > 0 ? process.argv[junitIndex + 1] : undefined;
  const work = mkdtempSync(path.join(os.tmpdir(), 'kpt-package-'));
  const project = path.join(work, 'project');
  let files: string[] = [];
  let tarball = '';

  check('npm pack (prepack builds dist/src without source maps)', () => {
    const [packed] = JSON.parse(run('npm', ['pack', '--json', '--pack-destination', work], ROOT)) as Array<{ filename: string; size: number; files: PackedFile[] }>;
    if (!packed) throw new Error('npm pack printed no package');
    tarball = path.join(work, packed.filename);
    files = packed.files.map((f) => f.path);
    return `${packed.filename}, ${files.length} files, ${(packed.size / 1024).toFixed(0)} KiB`;
  });

  check('the tarball ships dist/src (.js and .d.ts), package.json, README.md, LICENSE and CHANGELOG.md, and nothing else', () => {
    const docs = ['package.json', 'README.md', 'LICENSE', 'CHANGELOG.md'];
    const extra = files.filter((f) => !/^dist\/src\/.+\.(js|d\.ts)$/.test(f) && !docs.includes(f));
    if (extra.length > 0) throw new Error(`unexpected files: ${extra.slice(0, 10).join(', ')}`);
    const missing = docs.filter((f) => !files.includes(f));
    if (missing.length > 0) throw new Error(`missing: ${missing.join(', ')}`);
    if (!files.includes('dist/src/sender/worker-entry.js')) throw new Error('dist/src/sender/worker-entry.js (the sender thread) is missing');
  });

  check('attw (@arethetypeswrong/cli): every subpath\'s types resolve under node10, node16 and bundler', () => {
    // ESM only by design: CommonJS loads it with import() (or require() on Node 20.19+, checked below).
    const out = run(path.join(ROOT, 'node_modules', '.bin', 'attw'), [tarball, '--ignore-rules', 'cjs-resolves-to-esm', '--format', 'table-flipped'], work);
    if (!/No problems found/.test(out)) throw new Error(out.trim().split('\n').slice(-15).join('\n'));
    return exportedSubpaths().map(specifier).join(', ');
  });

  check('no source map, and no sourceMappingURL, refers to a missing file', () => {
    const unpacked = path.join(work, 'unpacked');
    mkdirSync(unpacked);
    run('tar', ['-xzf', tarball, '-C', unpacked], work);
    const shipped = new Set(files);
    const dangling: string[] = [];
    let maps = 0;
    for (const file of files) {
      const text = () => readFileSync(path.join(unpacked, 'package', file), 'utf8');
      if (file.endsWith('.map')) {
        maps++;
        const map = JSON.parse(text()) as { sources: string[]; sourceRoot?: string };
        for (const source of map.sources) {
          const target = path.posix.join(path.posix.dirname(file), map.sourceRoot ?? '', source);
          if (!shipped.has(target)) dangling.push(`${file} -> ${target}`);
        }
      } else if (file.endsWith('.js') || file.endsWith('.d.ts')) {
        const url = /\/\/# sourceMappingURL=(\S+)\s*$/.exec(text())?.[1];
        const target = url && path.posix.join(path.posix.dirname(file), url);
        if (target && !shipped.has(target)) dangling.push(`${file} -> ${target}`);
      }
    }
    if (dangling.length > 0) throw new Error(`dangling: ${dangling.slice(0, 5).join(', ')}`);
    return `${maps} .map files`;
  });

  check('publint --strict of the unpacked tarball: package.json points at files that ship, in the right formats', () => {
    const out = run(path.join(ROOT, 'node_modules', '.bin', 'publint'), ['run', path.join(work, 'unpacked', 'package'), '--strict', '--pack', 'false'], work);
    if (!/All good/.test(out)) throw new Error(out.trim());
  });

  check('npm install of the tarball into a new project', () => {
    mkdirSync(project);
    writeFileSync(path.join(project, 'package.json'), JSON.stringify({ name: 'kpt-package-check', private: true }));
    const deps = [tarball, `typescript@${devVersion('typescript')}`, `@types/node@${devVersion('@types/node')}`];
    run('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', '--loglevel=error', ...deps], project);
    writeFileSync(path.join(project, 'esm.mjs'), ESM_CHECK);
    writeFileSync(path.join(project, 'cjs.cjs'), CJS_CHECK);
    writeFileSync(path.join(project, 'use.ts'), TS_CHECK);
    writeFileSync(path.join(project, 'published.types.ts'), readFileSync(path.join(ROOT, 'test', 'types', 'published.types.ts')));
    writeFileSync(path.join(project, 'tsconfig.json'), JSON.stringify(TS_CONFIG, null, 2));
  });

  check('ESM: import, the error classes, nothing internal, a producer constructed and closed', () => run(process.execPath, ['esm.mjs'], project).trim());
  check('ESM: every subpath in package.json exports imports', () => subpathChecks(project));
  check('TypeScript: tsc --noEmit, strict, of files using the public types and the protocol subpath; internal members do not compile', () => {
    run(path.join(project, 'node_modules', '.bin', 'tsc'), ['-p', '.'], project);
  });
  check('CommonJS: await import() from a .cjs file', () => run(process.execPath, ['cjs.cjs'], project).trim());
  const [major = 0, minor = 0] = process.versions.node.split('.').map(Number);
  if (major === 20 && minor < 19) skip('CommonJS: require()', `Node ${process.versions.node} cannot require() an ES module; 20.19+ can`);
  else check('CommonJS: require() of both entry points (Node 20.19+)', () => run(process.execPath, ['cjs.cjs', 'require'], project).trim());

  const failed = outcomes.filter((o) => o.failure !== null).length;
  const passed = outcomes.filter((o) => o.failure === null && !o.skipped).length;
  console.log(`package check: ${passed} passed, ${failed} failed`);
  if (junit) writeJunit(junit, failed);
  if (failed === 0) rmSync(work, { recursive: true, force: true });
  else console.log(`left for inspection: ${work}`);
  process.exitCode = failed === 0 ? 0 : 1;
}

function writeJunit(file: string, failed: number): void {
  const esc = (s: string) => s.replace(/[<>&"]/g, (c) => `&#${c.charCodeAt(0)};`);
  const cases = outcomes.map((o) => {
    const body = o.failure !== null ? `<failure message="${esc(o.failure)}"/>` : o.skipped ? `<skipped message="${esc(o.skipped)}"/>` : '';
    return `    <testcase classname="package" name="${esc(o.name)}">${body}</testcase>`;
  });
  const counts = `tests="${outcomes.length}" failures="${failed}" errors="0"`;
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(
    file,
    `<?xml version="1.0" encoding="UTF-8"?>\n<testsuites name="package check" ${counts}>\n  <testsuite name="package" ${counts}>\n${cases.join('\n')}\n  </testsuite>\n</testsuites>\n`,
  );
}

main();
