/**
 * Embeds vamos: builds the guest driver, creates a VM with the entropy device in a virtio slot,
 * runs it and prints the guest's console and the VM-exit table.
 */
import { readFileSync } from 'node:fs';
import { bootRom, buildProgram, formatPerfKvmStat, Vm } from 'vamos';
import { EntropyDevice } from './entropy.js';

const source = { path: 'guest/rng.c', text: readFileSync('guest/rng.c', 'utf8') };
const { image } = buildProgram([source]);
let out = '';
const vm = new Vm({
  kernel: image,
  firmware: bootRom(),
  devices: [new EntropyDevice()],
  console: (b) => { out += String.fromCharCode(b); },
});
const result = vm.run();
process.stdout.write(out);
console.log(`\n${result.message}; ${result.instructions} guest instructions`);
for (const s of vm.slots) console.log(`${s.name} in slot ${s.slot} at 0x${s.base.toString(16)}: ${s.transport.stats.requests} requests, ${s.transport.stats.bytes} bytes`);
console.log(formatPerfKvmStat(vm.stats, vm.profile.cpuHz));
process.exitCode = result.stop === 'poweroff' ? result.exitCode : 1;
