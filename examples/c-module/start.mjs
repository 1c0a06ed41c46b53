// Builds the store module (guest C, hypervisor context) and the guest program both ways, runs
// each with its exit table and a trace, and ends with `vamos report --diff` of the two runs.
import { execFileSync } from 'node:child_process';
import { closeSync, openSync, ftruncateSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

const require = createRequire(import.meta.url);
const vamosBin = join(dirname(require.resolve('vamos/package.json')), 'dist', 'cli', 'vamos.js');
const vamos = (...args) => {
  console.log(`\n$ vamos ${args.join(' ')}`);
  try {
    execFileSync(process.execPath, [vamosBin, ...args], { stdio: 'inherit' });
  } catch {
    console.error(`start: vamos ${args[0]} failed (its message is above); is vamos built? (${vamosBin})`);
    process.exit(1);
  }
};

// A fresh 1 MiB volume for the module, so both runs start from an empty store.
rmSync('store.vol', { force: true });
const fd = openSync('store.vol', 'w');
ftruncateSync(fd, 1 << 20);
closeSync(fd);

vamos('cc', '--module', 'module/module.c', 'module/vol_host.c', 'common/store.c', '-o', 'store-module.img');
vamos('cc', 'guest/main.c', 'guest/vol_ram.c', 'common/store.c', '-o', 'in-guest.img');
vamos('cc', '-DUSE_MODULE', 'guest/main.c', '-o', 'with-module.img');
vamos('boot', 'in-guest.img', '--stats', '--trace', 'in-guest.trc');
vamos('boot', 'with-module.img', '--module', 'store=store-module.img,disk=store.vol', '--stats', '--trace', 'with-module.trc');
vamos('report', '--diff', 'in-guest.trc', 'with-module.trc');
