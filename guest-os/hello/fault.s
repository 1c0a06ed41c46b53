; guest-os/hello/fault.s: the hello kernel around a misbehaving ring-3 program
; (user-fault.s). Used by tests/boot to check the kernel's exception reporting.

.include "defs.s"
.include "kcore.s"
.include "user-fault.s"
