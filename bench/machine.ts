// What the numbers were measured on and with, for the report's header.

import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root, from dist/bench/ where this file runs. */
export const ROOT = fileURLToPath(new URL('../../', import.meta.url));

export interface Machine {
  cpu: string;
  cores: number;
  ramGiB: number;
  os: string;
  node: string;
  java: string;
}

function osName(): string {
  try {
    const pretty = /^PRETTY_NAME="?([^"\n]*)"?$/m.exec(readFileSync('/etc/os-release', 'utf8'));
    return `${pretty?.[1] ?? os.type()}, kernel ${os.release()}`;
  } catch {
    return `${os.type()} ${os.release()}`;
  }
}

function javaVersion(): string {
  // `java -version` writes to stderr.
  const res = spawnSync('java', ['-version'], { encoding: 'utf8' });
  return (res.stderr || res.stdout || 'not found').split('\n')[0]?.trim() ?? 'not found';
}

export function machine(): Machine {
  const cpus = os.cpus();
  return {
    cpu: cpus[0]?.model.trim() ?? 'unknown',
    cores: cpus.length,
    ramGiB: os.totalmem() / 2 ** 30,
    os: osName(),
    node: process.version,
    java: javaVersion(),
  };
}

/** The reports' machine table: the rows every benchmark report opens with. */
export function machineTable(m: Machine, kafka: string): string[] {
  return [
    '| | |',
    '|---|---|',
    `| CPU | ${m.cpu} |`,
    `| cores | ${m.cores} |`,
    `| RAM | ${m.ramGiB.toFixed(1)} GiB |`,
    `| OS | ${m.os} |`,
    `| Node.js | ${m.node} |`,
    `| Java | ${m.java} |`,
    `| Kafka | ${kafka} |`,
  ];
}

/** The installed version of a package in node_modules (not the range in package.json). */
export function packageVersion(name: string): string {
  try {
    return (JSON.parse(readFileSync(path.join(ROOT, 'node_modules', name, 'package.json'), 'utf8')) as { version: string }).version;
  } catch {
    return 'not installed';
  }
}

/** This project's version, with the commit measured and whether the work tree differed from it. */
export function ourVersion(): string {
  const pkg = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string };
  const git = (args: string[]) => spawnSync('git', args, { cwd: ROOT, encoding: 'utf8' }).stdout?.trim() ?? '';
  const commit = git(['rev-parse', '--short', 'HEAD']);
  if (!commit) return pkg.version;
  const dirty = git(['status', '--porcelain', '--', 'src']) !== '';
  return `${pkg.version} (${commit}${dirty ? ' + uncommitted changes in src/' : ''})`;
}
