/**
 * The same database sources built by vamos cc: every file compiles (and with gcc against our
 * libc's headers only), and the engine and front end built by vamos cc and run under the VMM
 * (`vamos run`'s hosted runtime, RAM-disk OSAL) answer a fixed script exactly as the gcc build
 * does. Also measures the guest instructions of a GET and a SET (front end + engine).
 */
import t from 'tap';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { compileObject } from '../../toolchain/cc/driver.js';
import { cFiles, cleanup, hasGcc, hex, includes, mw, noGcc, portable, root, runHosted, runNative, tmp, volume } from './harness.js';

t.teardown(cleanup);

const osal = (name: string) => join(mw, 'osal', `${name}.c`);
const guestIncludes = [join(root, 'guest-os', 'include'), join(root, 'guest-os', 'user', 'include')];

t.test('every file compiles with vamos cc', async (t) => {
  for (const f of [...portable(), osal('mem'), osal('host'), osal('guest')]) {
    t.doesNotThrow(() => compileObject(readFileSync(f, 'utf8'), f, { includeDirs: [...includes, ...guestIncludes] }), f.slice(root.length + 1));
  }
});

t.test('the portable files need only our libc (gcc against its headers)', { skip: noGcc }, async (t) => {
  for (const f of [...portable(), osal('mem'), osal('host'), osal('guest')]) {
    t.doesNotThrow(() => execFileSync('gcc', ['-std=c99', '-Wall', '-Werror', '-Wextra', '-nostdinc', '-I', join(root, 'guest-os', 'libc', 'include'),
      ...[...includes, ...guestIncludes].flatMap((d) => ['-I', d]), '-c', '-o', join(tmp, 'x.o'), f], { stdio: 'pipe' }), f.slice(root.length + 1));
  }
});

/** A fixed script: engine operations with splits and evictions, and RESP traffic. */
function script(): string[] {
  const lines = ['open 16'];
  let x = 12345;
  const rnd = (n: number) => { x = (x * 1103515245 + 12345) >>> 0; return (x >>> 8) % n; };
  for (let i = 0; i < 400; i++) {
    const k = hex(`key${rnd(120)}`);
    const r = rnd(10);
    if (r < 5) lines.push(`put ${k} ${hex(Buffer.alloc(rnd(1000), rnd(256)))}`);
    else if (r < 7) lines.push(`get ${k}`);
    else if (r < 8) lines.push(`del ${k}`);
    else if (r < 9) lines.push(`scan ${k} ${hex(`key${rnd(120)}`)} ${rnd(5)}`);
    else lines.push('commit');
    if (i % 150 === 149) lines.push('close', 'open 16');
  }
  const resp = ['*1\r\n$4\r\nPING\r\n', 'SET counter 41\r\n', 'INCR counter\r\nINCR counter\r\n', 'INCR nokey\r\n',
    'GET counter\r\nMGET counter key1 nokey\r\n', 'SET x abc\r\nINCR x\r\n', 'RANGE key1 key2 COUNT 3\r\n', 'EXISTS counter x y\r\n',
    'DEL counter x\r\nDBSIZE\r\n', 'FOO bar\r\n', '*2\r\n$3\r\nGET', '\r\n$3\r\nkey\r\n', '*x\r\n', 'SET "unbalanced\r\n'];
  for (const r of resp) lines.push(`resp ${hex(r)}`);
  lines.push('count', 'scan . - 0', 'stats', 'close');
  return lines;
}

t.test('the vamos cc build answers as the gcc build does', { skip: noGcc }, async (t) => {
  const lines = script();
  const want = runNative(volume(), lines).out;
  const got = runHosted(lines);
  t.equal(got.stop, 'poweroff', 'the program ran to its end');
  t.equal(got.out.length, want.length, `${want.length} lines`);
  const first = got.out.findIndex((l, i) => l !== want[i]);
  t.equal(first, -1, first < 0 ? 'identical output' : `first difference at line ${first + 1}: ${lines[first]?.slice(0, 60)}`);
});

t.test('guest instructions per GET and per SET (server_handle, RAM disk)', { skip: !hasGcc && 'the reference run needs gcc' }, async (t) => {
  const cost = (extra: string[]) => runHosted(['open 64', 'bench set 500 500', ...extra]).instructions;
  const base = cost([]);
  const per = (mode: string) => (cost([`bench ${mode} 1000 500`]) - base) / 1000;
  const perSet = Math.round(per('set') - per('setnop'));
  const perGet = Math.round(per('get') - per('getnop'));
  t.comment(`per SET of an existing key (RESP parse, engine put, commit: a one-page log batch, reply): ${perSet} instructions`);
  t.comment(`per GET (RESP parse, engine get, reply): ${perGet} instructions`);
  t.ok(perGet > 0 && perGet < 20000, `a GET costs ${perGet} instructions`);
  t.ok(perSet > perGet, `a SET costs more (${perSet})`);
});
