/**
 * Issue 15's bad-input campaign: every CLI verb that reads a file, on a missing file, a
 * directory, /dev/zero, an empty file, a truncated valid file and random bytes. Each case must
 * end with one line on stderr (a compiler's located diagnostic, with its source line and
 * caret, counts as one), the exit code docs/cli.md documents for bad input (1), no host stack
 * trace, and bounded time and memory.
 *
 * The matrix runs in this process through the CLI's entry point (`main`, as bin/vamos calls it)
 * to keep it fast; a few cases also run as real processes, to check what a user sees.
 */
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../../cli/vamos.js';
import { bufferIo } from '../../cli/io.js';
import { assemble } from '../../toolchain/as/assemble.js';
import { writeImage } from '../../toolchain/image/write.js';
import { TraceRecorder } from '../../vmm/trace/recorder.js';
import { projectFile } from '../../vmm/paths.js';
import { Rng } from '../../middleware/workload/random.js';

const dir = mkdtempSync(join(tmpdir(), 'vamos-campaign-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));

// ---- valid files of each kind, to truncate -------------------------------------------------
const SEVEN_S = '_start:\n    mov eax, 7\n    outd 0xf4, eax\n    hlt\n';
const image = writeImage(assemble(SEVEN_S, { file: 'seven.s' }).image);
const validImage = join(dir, 'seven.img');
writeFileSync(validImage, image);
const traceFile = join(dir, 'valid.trace');
{
  const rec = new TraceRecorder(traceFile, { label: 'campaign' });
  rec.record({ reason: 'hlt' }, 100, 0x1000, 50, undefined);
  rec.record({ reason: 'io', port: 0xf4, size: 4, write: true, value: 7 }, 200, 0x1004, 60, 'power');
  rec.close({ profile: 'nehalem-2011', cpuHz: 2_930_000_000, stop: 'guest powered off with exit code 7', symbols: [{ name: '_start', value: 0x1000, size: 8 }] });
}
const VALID: Record<string, Uint8Array> = {
  image,
  asm: Buffer.from(SEVEN_S),
  c: Buffer.from('int main(void) {\n    int x = 6;\n    return x + 1;\n}\n'),
  trace: readFileSync(traceFile),
  profile: readFileSync(projectFile('profiles', 'nehalem-2011.json')),
  disk: new Uint8Array(64 * 1024),
  volume: new Uint8Array(1 << 20),
};

// ---- the six bad inputs --------------------------------------------------------------------
type Kind = 'missing' | 'directory' | '/dev/zero' | 'empty' | 'truncated' | 'random';
const KINDS: readonly Kind[] = ['missing', 'directory', '/dev/zero', 'empty', 'truncated', 'random'];
const rng = new Rng(15);
const randomBytes = Uint8Array.from({ length: 4096 }, () => rng.below(256));
let serial = 0;

/** A fresh file (or non-file) of `kind`, named with `ext`, made from `valid` when truncated. */
function make(kind: Kind, valid: keyof typeof VALID, ext: string): string {
  const path = join(dir, `case-${serial++}${ext}`);
  switch (kind) {
    case 'missing': return path;
    case 'directory': mkdirSync(path); return path;
    case '/dev/zero': return '/dev/zero';
    case 'empty': writeFileSync(path, ''); return path;
    case 'truncated': {
      const v = VALID[valid]!;
      // Cut inside: a disk or volume loses a few bytes; anything else about two thirds.
      writeFileSync(path, v.subarray(0, valid === 'disk' || valid === 'volume' ? v.length - 100 : Math.floor((v.length * 2) / 3)));
      return path;
    }
    case 'random': writeFileSync(path, randomBytes); return path;
  }
}

interface Verb {
  /** The command line, given the bad file. */
  argv(file: string): string[];
  /** Which valid file is truncated, and the bad file's extension. */
  valid: keyof typeof VALID;
  ext: string;
  /** Kinds that are not bad input for this verb (e.g. empty console input). */
  fine?: readonly Kind[];
  /** Kinds whose documented exit code is not 1 (a missing --profile file is a usage error). */
  code?: Partial<Record<Kind, number>>;
  /** The verb's output is a compiler's located diagnostics. */
  diagnostics?: boolean;
}

const out = (name: string): string => join(dir, `${name}-${serial++}`);
const VERBS: Record<string, Verb> = {
  'boot IMAGE': { argv: (f) => ['boot', f], valid: 'image', ext: '.img' },
  // Any file of whole sectors is a raw disk, an empty one too.
  'boot --disk': { argv: (f) => ['boot', '--disk', f, validImage], valid: 'disk', ext: '.img', fine: ['empty', 'random'] },
  'boot --input': { argv: (f) => ['boot', '--input', f, validImage], valid: 'asm', ext: '.txt', fine: ['empty', 'truncated', 'random'] },
  'boot --profile': { argv: (f) => ['boot', '--profile', f, validImage], valid: 'profile', ext: '.json', code: { missing: 2 } },
  'run IMAGE': { argv: (f) => ['run', f], valid: 'image', ext: '.img' },
  'run SOURCE.c': { argv: (f) => ['run', f], valid: 'c', ext: '.c', diagnostics: true },
  'as': { argv: (f) => ['as', f, '-o', out('as.img')], valid: 'asm', ext: '.s', diagnostics: true },
  'cc': { argv: (f) => ['cc', f, '-o', out('cc.img')], valid: 'c', ext: '.c', diagnostics: true },
  'objdump': { argv: (f) => ['objdump', f], valid: 'image', ext: '.img' },
  'report': { argv: (f) => ['report', f], valid: 'trace', ext: '.trace' },
  'report --diff': { argv: (f) => ['report', '--diff', traceFile, f], valid: 'trace', ext: '.trace' },
  'mkdisk --kernel': { argv: (f) => ['mkdisk', '-o', out('disk.img'), '--kernel', f], valid: 'image', ext: '.img' },
  'mkdisk PROGRAM': { argv: (f) => ['mkdisk', '-o', out('disk.img'), '--kernel', validImage, f], valid: 'image', ext: '.img' },
  // A missing volume is created and served: not bad input, and not for this test.
  'serve --volume': { argv: (f) => ['serve', '--port', '0', '--volume', f], valid: 'volume', ext: '.vol', fine: ['missing'] },
  'serve --profile': { argv: (f) => ['serve', '--port', '0', '--profile', f], valid: 'profile', ext: '.json', code: { missing: 2 } },
};

const STACK = /\n\s+at .*[(:]\d+|node:internal|TypeError|RangeError|ReferenceError|internal error/;

/** Stderr is one line, or one located compiler diagnostic (the line, its source, a caret). */
function oneMessage(err: string, diagnostics: boolean): boolean {
  const lines = err.replace(/\n$/, '').split('\n');
  if (lines.length === 1 && lines[0] !== '') return true;
  if (!diagnostics) return false;
  return /^\S.*:\d+:\d+: error: /.test(lines[0]!) && lines.length <= 3;
}

for (const [name, verb] of Object.entries(VERBS)) {
  t.test(name, async (t) => {
    for (const kind of KINDS) {
      if (verb.fine?.includes(kind)) continue;
      const file = make(kind, verb.valid, verb.ext);
      const argv = verb.argv(file);
      const io = bufferIo();
      const before = process.memoryUsage().rss;
      const start = performance.now();
      const code = await main(argv, io);
      const ms = performance.now() - start;
      const grew = (process.memoryUsage().rss - before) / 2 ** 20;
      const what = `${kind}: vamos ${argv.join(' ')}`;
      const want = verb.code?.[kind] ?? 1;
      t.equal(code, want, `${what}: exit ${want}`);
      // A usage error is one line, then the usage.
      const err = want === 2 ? io.err.split('\n')[0]! + '\n' : io.err;
      t.ok(oneMessage(err, verb.diagnostics === true), `${what}: one line on stderr`, { err: io.err });
      t.notMatch(io.err, STACK, `${what}: no stack trace`);
      t.ok(ms < 10_000, `${what}: done in ${ms.toFixed(0)} ms`);
      t.ok(grew < 256, `${what}: memory grew ${grew.toFixed(0)} MiB`);
    }
  });
}

/** The real command: what a user's shell sees, including that the process ends. */
t.test('as real processes: /dev/zero, a directory and random bytes', async (t) => {
  const vamos = projectFile('dist', 'cli', 'vamos.js');
  const random = make('random', 'image', '.img');
  for (const argv of [['boot', '/dev/zero'], ['cc', dir], ['objdump', random], ['boot', '--input', '/dev/zero', validImage]]) {
    const r = spawnSync(process.execPath, [vamos, ...argv], { encoding: 'utf8', timeout: 20_000, input: '' });
    t.equal(r.status, 1, `vamos ${argv.join(' ')}`);
    t.match(r.stderr, /^vamos \w+: [^\n]+\n$/, 'one line');
    t.notMatch(r.stderr, STACK);
  }
});
