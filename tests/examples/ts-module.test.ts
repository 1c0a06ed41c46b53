/**
 * examples/ts-module from the packed package: the TypeScript module compiles against the
 * package's declarations (strict), its CRC equals the guest's, the exit table has its vmcall
 * row, and the run ends with `vamos report --diff`.
 */
import t from 'tap';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { installExample, npm, root } from './packed.js';

t.test('every example folder has its test', async (t) => {
  t.same(readdirSync(join(root, 'examples')).sort(), ['c-module', 'device-plugin', 'ts-module']);
});

t.test('examples/ts-module: the TypeScript module\'s CRC equals the guest\'s, with a vmcall row and a diff', async (t) => {
  const out = npm(installExample('ts-module'), 'start');
  const guest = /in the guest: ([0-9a-f]{8})/.exec(out)?.[1];
  const module = /by the module: ([0-9a-f]{8})/.exec(out)?.[1];
  t.ok(guest, out);
  t.equal(module, guest, 'the module computes what the guest does');
  t.equal(guest, '0ab738c9', 'CRC-32 (IEEE) of the example\'s 64 KiB');
  t.match(out, /^\s+module\/crc32:vmcall\s+1 /m, 'the exit table attributes the call to the module');
  t.match(out, /^\s+vmcall\s+0\s+2\s+\+2\s+new/m, 'vamos report --diff of the in-guest run against the module run');
});
