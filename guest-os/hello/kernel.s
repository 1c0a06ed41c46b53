; guest-os/hello/kernel.s: the default guest of `vamos boot` (guest-os/build.ts).
;
; A small kernel that boots through the vamos boot ROM, installs an IDT, turns on paging,
; starts the timer and runs one ring-3 program that greets, sleeps, reads the tick count and
; exits through system calls; the kernel then powers the VM off with the program's exit code.
; docs/guest-os.md describes it; docs/boot.md the way it is started.
;
;   defs.s     constants: boot protocol, ports, page and gate bits, system-call numbers
;   kcore.s    the kernel (entry _start, at 0x100000)
;   user.s     the ring-3 program, in pages of its own (+ ulib.s, its system-call helpers)
;
; fault.s builds the same kernel around a user program that misbehaves (tests/boot).

.include "defs.s"
.include "kcore.s"
.include "user.s"
