/**
 * examples/device-plugin from the packed package: the embedder's device serves the guest
 * driver and its properties hold under vamos/testing; and every `ts` example of docs/api.md
 * compiles against the packed package (strict), in the same installed folder.
 */
import t from 'tap';
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { installExample, npm, root } from './packed.js';

const dir = installExample('device-plugin');

t.test('examples/device-plugin: the embedder\'s device serves the guest driver, and its properties hold', async (t) => {
  const out = npm(dir, 'start');
  t.equal(out.match(/^random:( [0-9a-f]{2}){16}$/gm)?.length, 4, out);
  t.match(out, /virtio-rng0 in slot 0 at 0xd0000000: 4 requests, 64 bytes/);
  t.match(out, /^\s+virtio-rng0:mmio\s+\d+ /m);
  const test = npm(dir, 'test');
  t.match(test, /^# pass 3$/m, test);
  t.match(test, /^# fail 0$/m);
});

t.test('docs/api.md: every ts example compiles against the packed package', async (t) => {
  const doc = readFileSync(join(root, 'docs', 'api.md'), 'utf8');
  const snippets = [...doc.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]!);
  t.ok(snippets.length >= 5, `${snippets.length} examples`);
  // device-plugin's folder has the packed vamos, typescript and @types/node installed.
  const check = join(dir, 'api-check');
  mkdirSync(check, { recursive: true });
  snippets.forEach((text, i) => writeFileSync(join(check, `example${i}.mts`), text));
  writeFileSync(join(check, 'tsconfig.json'), JSON.stringify({
    compilerOptions: { target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext', strict: true, noEmit: true, skipLibCheck: true, types: ['node'] },
    include: ['*.mts'],
  }));
  try {
    execFileSync(process.execPath, [join(dir, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', check], { encoding: 'utf8', stdio: 'pipe' });
    t.pass('tsc found no error');
  } catch (e) {
    t.fail(String((e as { stdout?: string }).stdout ?? e));
  }
});
