// kafka-python for the bench's first-program experiment, pinned, in its own
// virtual environment in the cache (one per kafka-python and Python version),
// never a dependency of npm test. A marker file is written last, so an
// interrupted install is redone.

import { spawnSync } from 'node:child_process';
import { existsSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { cacheDir } from '../../scripts/kafka/provision.js';
import { failure } from '../../scripts/tools/provision-tools.js';

export const KAFKA_PYTHON_VERSION = '3.0.12';

export interface KafkaPython {
  /** The virtual environment's interpreter. */
  python: string;
  /** "kafka-python 3.0.12, Python 3.11.7". */
  version: string;
}

/** kafka-python in a virtual environment made with `python3 -m venv`; throws an Error saying what failed. */
export function provisionKafkaPython(python = 'python3'): KafkaPython {
  const probe = spawnSync(python, ['-c', 'import sys; print("%d.%d.%d" % sys.version_info[:3])'], { encoding: 'utf8' });
  if (probe.error || probe.status !== 0) {
    throw new Error(`kafka-python needs Python 3, and \`${python}\` did not run (${failure(probe)}): install python3 (Debian: apt-get install python3 python3-venv)`);
  }
  const full = probe.stdout.trim();
  const minor = full.split('.').slice(0, 2).join('.');
  const venv = path.join(cacheDir(), `kafka-python-${KAFKA_PYTHON_VERSION}-py${minor}`);
  const venvPython = path.join(venv, 'bin', 'python');
  const marker = path.join(venv, '.complete');
  const version = `kafka-python ${KAFKA_PYTHON_VERSION}, Python ${full}`;
  if (existsSync(marker)) return { python: venvPython, version };

  rmSync(venv, { recursive: true, force: true });
  process.stderr.write(`bench: installing kafka-python==${KAFKA_PYTHON_VERSION} with pip into the virtual environment ${venv}\n`);
  const made = spawnSync(python, ['-m', 'venv', venv], { encoding: 'utf8' });
  if (made.error || made.status !== 0) {
    throw new Error(`\`${python} -m venv\` could not make ${venv} (${failure(made)}): install the venv module (Debian: apt-get install python3-venv)`);
  }
  const pip = spawnSync(venvPython, ['-m', 'pip', 'install', '--quiet', '--disable-pip-version-check', '--no-input', `kafka-python==${KAFKA_PYTHON_VERSION}`], {
    encoding: 'utf8',
  });
  if (pip.error || pip.status !== 0) {
    throw new Error(`pip could not install kafka-python==${KAFKA_PYTHON_VERSION} into ${venv} (${failure(pip)}): check that PyPI (or the index in PIP_INDEX_URL) is reachable`);
  }
  const check = spawnSync(venvPython, ['-c', 'import kafka; print(kafka.__version__)'], { encoding: 'utf8' });
  if (check.error || check.status !== 0 || check.stdout.trim() !== KAFKA_PYTHON_VERSION) {
    throw new Error(`pip installed kafka-python into ${venv} but it does not import as ${KAFKA_PYTHON_VERSION} (${failure(check)}): delete that directory and run npm run bench again`);
  }
  writeFileSync(marker, `kafka-python==${KAFKA_PYTHON_VERSION}\n`);
  return { python: venvPython, version };
}
