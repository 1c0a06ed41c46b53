#!/usr/bin/env node
// npm's `prepare` (run by `npm install` and `npm ci` in a checkout): compile the TypeScript into
// dist/, where the `vamos` command (package.json "bin") lives, so that `npx vamos` works right
// after the install. It never fails the install: without TypeScript (an install that leaves out
// dev dependencies) or with a broken build it says so and `npm run build` shows the errors,
// as .ci/run does.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');
if (!existsSync(tsc)) {
  console.error('vamos: TypeScript is not installed, so dist/ was not built; `npm install` (with dev dependencies) then `npm run build`');
  process.exit(0);
}
const r = spawnSync(process.execPath, [tsc, '-p', join(root, 'tsconfig.json')], { stdio: ['ignore', 'ignore', 'inherit'] });
if (r.status !== 0) console.error('vamos: the build failed; `npm run build` shows why');
