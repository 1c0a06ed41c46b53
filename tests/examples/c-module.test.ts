/**
 * examples/c-module from the packed package: a module in guest C on its own host-file volume
 * gives the in-guest store's results (one source, two placements), attributed in the exit table.
 */
import t from 'tap';
import { installExample, npm } from './packed.js';

t.test('examples/c-module: the guest-C module on its volume gives the in-guest store\'s results', async (t) => {
  const out = npm(installExample('c-module'), 'start');
  const guest = /(\d+) records, checksum ([0-9a-f]{8}), in the guest/.exec(out);
  const module = /(\d+) records, checksum ([0-9a-f]{8}), by the module/.exec(out);
  t.ok(guest && module, out);
  t.same(module?.slice(1), guest?.slice(1), 'same count and checksum from one source in two placements');
  t.equal(guest?.[1], '300');
  t.match(out, /^\s+module\/store:vmcall\s+302 /m, '300 appends, a sync and a stat');
  t.match(out, /^\s+vmcall\s+0\s+303\s+\+303\s+new/m);
});
