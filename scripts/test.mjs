#!/usr/bin/env node
// `npm test [-- tap options and files]`: compile the sources and tests/ into dist/ (incremental
// tsc, tsconfig.test.json), then run tap on the compiled tests.
//
// Why compiled: under tap's TypeScript loader every test process loaded the compiler and
// transpiled its whole import graph again, 2-4 s of CPU per file before a test ran; 135 files made
// that most of the suite's time (docs/testing.md, "How the suite runs").
//
// Files may be named by their sources (tests/cpu/jit-chain.test.ts) or their compiled form
// (dist/tests/cpu/jit-chain.test.js), folders as tests/os/; with none, tap runs every dist/tests/**/*.test.js.
// A type error anywhere fails the run before any test: the tests are type-checked code too.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, rmSync, statSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const testsOut = join(root, 'dist', 'tests');
const buildInfo = join(root, 'dist', '.tests.tsbuildinfo');

// tsc's incremental state cannot see emitted files deleted behind its back: rebuild whole then.
if (!existsSync(testsOut)) rmSync(buildInfo, { force: true });
const tsc = spawnSync(process.execPath, [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', join(root, 'tsconfig.test.json')], { stdio: ['ignore', 'pipe', 'inherit'], encoding: 'utf8' });
if (tsc.status !== 0) {
  process.stderr.write(tsc.stdout ?? '');
  // A TAP line too, so that a reader of the stream (scripts/tap-summary.mjs in CI) counts the failure.
  process.stdout.write('TAP version 14\nnot ok 1 - the TypeScript build of the sources and tests (tsc -p tsconfig.test.json)\n1..1\n');
  console.error('npm test: the build failed; the errors are above');
  process.exit(1);
}

// A test deleted or renamed in tests/ leaves its compiled copy behind: remove it, or tap runs it.
function pruneStale(dir) {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) { pruneStale(path); continue; }
    const m = /^(.*)\.js(\.map)?$/.exec(name);
    if (m === null) continue;
    const source = join(root, relative(join(root, 'dist'), dir), `${m[1]}.ts`);
    if (!existsSync(source)) rmSync(path);
  }
}
pruneStale(testsOut);

// tests/x.test.ts -> dist/tests/x.test.js; a folder tests/os/ -> its compiled *.test.js files
// (named as a folder, tap would also run the helper modules beside them).
function testFiles(dir) {
  return readdirSync(dir).sort().flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? testFiles(path) : name.endsWith('.test.js') ? [relative(root, path)] : [];
  });
}
const args = process.argv.slice(2).flatMap((a) => {
  const m = /^(?:\.\/)?(tests(?:\/.*)?)$/.exec(a.split('\\').join('/'));
  if (m === null) return [a];
  const compiled = join('dist', m[1].replace(/\.ts$/, '.js'));
  return existsSync(join(root, compiled)) && statSync(join(root, compiled)).isDirectory() ? testFiles(join(root, compiled)) : [compiled];
});
// One job more than there are cores: several files spend much of their time waiting on child
// processes (npm, gcc, redis, curl) and sockets, and with one job per core the suite kept about 1.4
// of 2 cores busy (563 s against 398 s with 3 jobs on the 2-core machine, docs/testing.md).
const jobs = args.some((a) => /^(-j|--jobs)/.test(a)) ? [] : [`--jobs=${availableParallelism() + 1}`];
// The compiler's audit (docs/jit.md, "Invalidation"): any guest RAM write that skips
// GuestMemory.written under compiled code fails the test that made it.
const env = { ...process.env, VAMOS_JIT_AUDIT: process.env.VAMOS_JIT_AUDIT ?? '1' };
const tap = spawnSync(process.execPath, [join(root, 'node_modules', 'tap', 'dist', 'esm', 'run.mjs'), ...jobs, ...args], { stdio: 'inherit', cwd: root, env });
process.exit(tap.status ?? 1);
