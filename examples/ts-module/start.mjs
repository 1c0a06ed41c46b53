// Builds the guest program both ways, runs each with its exit table and a trace, and ends
// with `vamos report --diff` of the in-guest run against the module run.
import { execFileSync } from 'node:child_process';
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

vamos('cc', 'guest/crc.c', '-o', 'in-guest.img');
vamos('cc', '-DUSE_MODULE', 'guest/crc.c', '-o', 'with-module.img');
vamos('boot', 'in-guest.img', '--stats', '--trace', 'in-guest.trc');
vamos('boot', 'with-module.img', '--module', 'crc32=dist/crc32.js', '--stats', '--trace', 'with-module.trc');
vamos('report', '--diff', 'in-guest.trc', 'with-module.trc');
