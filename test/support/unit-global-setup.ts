// Vitest global setup of the unit project: the python lz4 module that
// test/unit/lz4.test.ts checks our LZ4 codec against, installed into the
// project's cache on first use (scripts/tools/provision-tools.ts).

import type { TestProject } from 'vitest/node';
import { provisionPythonLz4 } from '../../scripts/tools/provision-tools.js';

export default function setup(project: TestProject): void {
  project.provide('pythonLz4', provisionPythonLz4());
}
