/**
 * The examples as a user would run them (issue: plugins anyone can write): `npm pack` the
 * project, copy each example under examples/ to a temporary folder, install the packed tarball
 * there (no path back to the repository's sources), and run the README's `npm start` (and the
 * device example's `npm test`). Each must show the module's or device's result and the exit
 * table. The TypeScript examples also prove the package's type declarations: they compile
 * against the packed package with `strict` on.
 */
import t from 'tap';
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { projectRoot } from '../../vmm/paths.js';

const root = projectRoot();
const work = mkdtempSync(join(tmpdir(), 'vamos-examples-'));
const npm = (cwd: string, ...args: string[]): string =>
  execFileSync('npm', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, npm_config_update_notifier: 'false' } });

// --ignore-scripts: the package's own scripts (a prepare that builds) must not rewrite dist/
// under the other test files running meanwhile; CI built it already.
const tarball = join(work, npm(root, 'pack', '--ignore-scripts', '--silent', '--pack-destination', work).trim().split('\n').pop()!);

function install(example: string): string {
  const dest = join(work, example);
  cpSync(join(root, 'examples', example), dest, {
    recursive: true, filter: (src) => !/node_modules|[/\\]dist$|\.(img|trc|vol)$/.test(src),
  });
  npm(dest, 'install', '--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error', tarball);
  return dest;
}

t.test('every example folder is covered here', async (t) => {
  t.same(readdirSync(join(root, 'examples')).sort(), ['c-module', 'device-plugin', 'ts-module']);
});

t.test('examples/ts-module: the TypeScript module\'s CRC equals the guest\'s, with a vmcall row and a diff', async (t) => {
  const out = npm(install('ts-module'), 'start');
  const guest = /in the guest: ([0-9a-f]{8})/.exec(out)?.[1];
  const module = /by the module: ([0-9a-f]{8})/.exec(out)?.[1];
  t.ok(guest, out);
  t.equal(module, guest, 'the module computes what the guest does');
  t.equal(guest, '0ab738c9', 'CRC-32 (IEEE) of the example\'s 64 KiB');
  t.match(out, /^\s+module\/crc32:vmcall\s+1 /m, 'the exit table attributes the call to the module');
  t.match(out, /^\s+vmcall\s+0\s+2\s+\+2\s+new/m, 'vamos report --diff of the in-guest run against the module run');
});

t.test('examples/c-module: the guest-C module on its volume gives the in-guest store\'s results', async (t) => {
  const out = npm(install('c-module'), 'start');
  const guest = /(\d+) records, checksum ([0-9a-f]{8}), in the guest/.exec(out);
  const module = /(\d+) records, checksum ([0-9a-f]{8}), by the module/.exec(out);
  t.ok(guest && module, out);
  t.same(module?.slice(1), guest?.slice(1), 'same count and checksum from one source in two placements');
  t.equal(guest?.[1], '300');
  t.match(out, /^\s+module\/store:vmcall\s+302 /m, '300 appends, a sync and a stat');
  t.match(out, /^\s+vmcall\s+0\s+303\s+\+303\s+new/m);
});

t.test('examples/device-plugin: the embedder\'s device serves the guest driver, and its properties hold', async (t) => {
  const dir = install('device-plugin');
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
  const dir = join(work, 'device-plugin', 'api-check');
  mkdirSync(dir, { recursive: true });
  snippets.forEach((text, i) => writeFileSync(join(dir, `example${i}.mts`), text));
  writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify({
    compilerOptions: { target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext', strict: true, noEmit: true, skipLibCheck: true, types: ['node'] },
    include: ['*.mts'],
  }));
  try {
    execFileSync(process.execPath, [join(work, 'device-plugin', 'node_modules', 'typescript', 'bin', 'tsc'), '-p', dir], { encoding: 'utf8', stdio: 'pipe' });
    t.pass('tsc found no error');
  } catch (e) {
    t.fail(String((e as { stdout?: string }).stdout ?? e));
  }
});
