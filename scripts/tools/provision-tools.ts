// The tools the tests need that are not npm packages: kcat (librdkafka reads
// our bytes back) and the python lz4 module (an independent check of our LZ4
// frame codec). The vitest global setups call this once per run, before tests.

import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { accessSync, constants, existsSync, mkdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { cacheDir } from '../kafka/provision.js';

/** The python lz4 release the cross-check runs against (PyPI has wheels for CPython 3.9 to 3.14). */
export const PYTHON_LZ4_VERSION = '4.4.5';

/** A tool the tests need is missing and could not be installed; the message says what to do. */
export class ToolError extends Error {
  override name = 'ToolError';
}

export interface PythonLz4 {
  /** The interpreter to run. */
  python: string;
  /** The directory to put on PYTHONPATH: lz4 installed there by pip --target. */
  pythonPath: string;
}

/**
 * python lz4, pinned, installed with pip into the project's cache (one
 * directory per lz4 and Python version: the module is a compiled extension).
 * A marker file is written last, so an interrupted install is redone.
 */
export function provisionPythonLz4(python = 'python3'): PythonLz4 {
  const probe = run(python, ['-c', 'import sys; print("%d.%d" % sys.version_info[:2])']);
  if (probe.error || probe.status !== 0) {
    throw new ToolError(
      `the LZ4 cross-check needs Python 3 with pip, and \`${python}\` did not run (${failure(probe)}): ` +
        'install python3 and pip (Debian: apt-get install python3 python3-pip), then run npm test again',
    );
  }
  const pythonPath = path.join(cacheDir(), `python-lz4-${PYTHON_LZ4_VERSION}-py${probe.stdout.trim()}`);
  const marker = path.join(pythonPath, '.complete');
  if (existsSync(marker)) return { python, pythonPath };

  const pip = run(python, ['-m', 'pip', '--version']);
  if (pip.error || pip.status !== 0) {
    throw new ToolError(
      `the LZ4 cross-check installs python lz4 with pip, and \`${python} -m pip\` did not run (${failure(pip)}): ` +
        `install pip (Debian: apt-get install python3-pip; elsewhere: ${python} -m ensurepip), then run npm test again`,
    );
  }
  rmSync(pythonPath, { recursive: true, force: true });
  mkdirSync(pythonPath, { recursive: true });
  process.stderr.write(`tools: installing python lz4==${PYTHON_LZ4_VERSION} with pip into ${pythonPath}\n`);
  const args = ['-m', 'pip', 'install', '--quiet', '--disable-pip-version-check', '--no-input', '--target', pythonPath];
  const install = run(python, [...args, `lz4==${PYTHON_LZ4_VERSION}`]);
  if (install.error || install.status !== 0) {
    throw new ToolError(
      `pip could not install lz4==${PYTHON_LZ4_VERSION} into ${pythonPath} (${failure(install)}): ` +
        'check that PyPI (or the index in PIP_INDEX_URL) is reachable, then run npm test again',
    );
  }
  const check = run(python, ['-c', 'import lz4.frame'], { ...process.env, PYTHONPATH: pythonPath });
  if (check.error || check.status !== 0) {
    throw new ToolError(`pip installed lz4 into ${pythonPath} but python cannot import it (${failure(check)}): delete that directory and run npm test again`);
  }
  writeFileSync(marker, `lz4==${PYTHON_LZ4_VERSION}\n`);
  return { python, pythonPath };
}

export interface KcatOptions {
  /** Where to look for kcat and apt-get; default: PATH. */
  searchPath?: string;
  /** Whether apt-get may be run; default: running as root. */
  isRoot?: boolean;
}

/**
 * kcat's path: the one on PATH, or, when running as root where apt-get is,
 * the Debian package installed now. Otherwise a ToolError says how to install it.
 */
export function provisionKcat({ searchPath = process.env.PATH ?? '', isRoot = process.getuid?.() === 0 }: KcatOptions = {}): string {
  const found = findExecutable('kcat', searchPath);
  if (found) return found;
  const aptGet = findExecutable('apt-get', searchPath);
  if (!isRoot || !aptGet) {
    throw new ToolError(
      'kcat is not on PATH, and the integration tests read our bytes back with it: install it ' +
        '(Debian/Ubuntu: sudo apt-get install kcat, which npm test does by itself when run as root; macOS: brew install kcat), ' +
        'then run npm test again',
    );
  }
  process.stderr.write('tools: kcat is not on PATH; installing the Debian package kcat (apt-get update, apt-get install -y kcat)\n');
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  for (const args of [['update', '-qq'], ['install', '-y', '-qq', 'kcat']]) {
    const res = run(aptGet, args, env);
    if (res.error || res.status !== 0) {
      throw new ToolError(`apt-get ${args.join(' ')} failed (${failure(res)}): install kcat by hand (apt-get install kcat), then run npm test again`);
    }
  }
  const installed = findExecutable('kcat', searchPath);
  if (!installed) throw new ToolError('apt-get installed kcat but it is not on PATH: add /usr/bin to PATH, then run npm test again');
  return installed;
}

function findExecutable(name: string, searchPath: string): string | null {
  for (const dir of searchPath.split(path.delimiter)) {
    if (!dir) continue;
    const candidate = path.join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      if (statSync(candidate).isFile()) return candidate;
    } catch {
      // Not in this directory.
    }
  }
  return null;
}

function run(command: string, args: string[], env: NodeJS.ProcessEnv = process.env): SpawnSyncReturns<string> {
  return spawnSync(command, args, { encoding: 'utf8', env, stdio: ['ignore', 'pipe', 'pipe'] });
}

/** One line on why a command failed: its spawn error, or the end of its stderr. */
export function failure(res: SpawnSyncReturns<string>): string {
  if (res.error) return res.error.message;
  const lines = `${res.stderr}${res.stdout}`.trim().split('\n');
  return `exit code ${res.status}: ${lines.slice(-3).join(' / ')}`;
}
