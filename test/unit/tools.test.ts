// The test-tool provisioning's decisions that need no network: kcat found on
// the search path, and the messages that say what to do when a tool is
// missing and cannot be installed here (scripts/tools/provision-tools.ts).

import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { provisionKcat, provisionPythonLz4, ToolError } from '../../scripts/tools/provision-tools.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'kpt-tools-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function fakeExecutable(name: string): string {
  const file = path.join(dir, name);
  writeFileSync(file, '#!/bin/sh\nexit 0\n');
  chmodSync(file, 0o755);
  return file;
}

describe('provisionKcat', () => {
  it('returns the kcat found on the search path and installs nothing', () => {
    const kcat = fakeExecutable('kcat');
    try {
      expect(provisionKcat({ searchPath: `/nonexistent${path.delimiter}${dir}`, isRoot: true })).toBe(kcat);
    } finally {
      rmSync(kcat);
    }
  });

  it('not root: fails saying how to install kcat', () => {
    fakeExecutable('apt-get');
    expect(() => provisionKcat({ searchPath: dir, isRoot: false })).toThrow(ToolError);
    expect(() => provisionKcat({ searchPath: dir, isRoot: false })).toThrow(/kcat is not on PATH.*apt-get install kcat.*brew install kcat/);
  });

  it('root without apt-get: fails the same way', () => {
    expect(() => provisionKcat({ searchPath: '/nonexistent', isRoot: true })).toThrow(/kcat is not on PATH.*apt-get install kcat/);
  });
});

describe('provisionPythonLz4', () => {
  it('without python: fails saying to install python3 and pip', () => {
    expect(() => provisionPythonLz4(path.join(dir, 'no-such-python3'))).toThrow(/needs Python 3 with pip.*apt-get install python3 python3-pip/);
  });
});
