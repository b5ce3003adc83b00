// Debian packages a bench peer needs on the machine (compilers and -dev
// packages for a native build, a tool): the missing ones are installed with
// apt-get when the bench runs as root; otherwise an error names them.
// Nothing here runs for npm test.

import { spawnSync } from 'node:child_process';
import { failure } from '../../scripts/tools/provision-tools.js';

/** Whether dpkg knows `name` as installed; null where there is no dpkg (not Debian). */
function installed(name: string): boolean | null {
  const res = spawnSync('dpkg-query', ['-W', '-f=${db:Status-Status}', name], { encoding: 'utf8' });
  if (res.error) return null;
  return res.status === 0 && res.stdout.trim() === 'installed';
}

/**
 * Makes sure the Debian packages `names` are installed, for `purpose` (as in
 * "node-rdkafka builds librdkafka from source"). Throws an Error that says
 * what to install when they are missing and cannot be installed here. On a
 * machine without dpkg it checks nothing: the step that needs them says
 * what failed.
 */
export function ensureDebianPackages(names: string[], purpose: string): void {
  const missing = names.filter((n) => installed(n) === false);
  if (missing.length === 0) return;
  const list = missing.join(' ');
  if (process.getuid?.() !== 0) {
    throw new Error(`${purpose} and needs the Debian packages ${list}, which are not installed; the bench installs them only when it runs as root: run sudo apt-get install ${list}, then npm run bench again`);
  }
  process.stderr.write(`bench: ${purpose}; installing the Debian packages ${list} (apt-get update, apt-get install)\n`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  for (const args of [['update', '-qq'], ['install', '-y', '-qq', ...missing]]) {
    const res = spawnSync('apt-get', args, { encoding: 'utf8', env });
    if (res.error || res.status !== 0) {
      throw new Error(`apt-get ${args.join(' ')} failed (${failure(res)}): install ${list} by hand, then npm run bench again`);
    }
  }
}
