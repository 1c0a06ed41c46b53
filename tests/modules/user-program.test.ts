/**
 * vamos_module.h in a user program under the vamos kernel: the same vmod_open / vmod_call /
 * vmod_strerror as a hosted program, made through the kernel's module system calls, with the
 * error codes of docs/hypercalls.md.
 */
import t from 'tap';
import { ModuleRegistry } from '../../middleware/host/registry.js';
import type { HypervisorModule } from '../../middleware/host/module.js';
import { buildTestProgram, osMachine } from '../../testing/os.js';
import { projectFile } from '../../vmm/paths.js';

const rev: HypervisorModule = {
  name: 'rev',
  kind: 'ts',
  call(op, request, response) {
    if (op !== 1) return { status: -38, cycles: 0 };
    response.set(request.slice().reverse());
    return { status: request.length, cycles: 100 };
  },
};

t.test('a user program opens and calls a module by name, and gets the documented errors', async (t) => {
  const modcall = buildTestProgram(projectFile('tests', 'os', 'programs', 'modcall'));
  const m = osMachine({ programs: ['init'], extraPrograms: { modcall }, cmdline: 'run=modcall' });
  const registry = new ModuleRegistry(m.vm);
  registry.add(rev);
  const r = m.run();
  t.equal(r.exitCode, 0, r.console);
  t.match(r.console, /^open missing: no such module$/m);
  t.match(r.console, /^call: 6 fedcba$/m);
  t.match(r.console, /^bad op: no such operation$/m);
  t.match(r.console, /^bad handle: invalid argument$/m);
  t.equal(registry.stats.get('rev')!.calls, 2, 'the bad handle never reached the module');
  t.equal(r.stats.countOf('vmcall', 'module/rev'), 2);
});
