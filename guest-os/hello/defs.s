; guest-os/hello/defs.s: constants shared by the hello kernel and its user programs.
; Ports and IRQs: docs/devices.md. Boot protocol: docs/boot.md. System calls: docs/guest-os.md.

; ---- boot protocol (vmm/bootinfo.ts) ------------------------------------------------------
.equ BOOT_MAGIC,        0x31494256      ; "VBI1", in eax at kernel entry
.equ BI_MAGIC,          0x00            ; offsets in the boot-information block (ebx)
.equ BI_MEM_SIZE,       0x04
.equ BI_CMDLINE,        0x08
.equ BI_CMDLINE_LEN,    0x0c
.equ BI_KERNEL_ENTRY,   0x10
.equ BI_KERNEL_END,     0x14

; ---- devices ------------------------------------------------------------------------------
.equ COM1,              0x3f8           ; THR (write) / RBR (read)
.equ COM1_IER,          0x3f9
.equ COM1_LCR,          0x3fb
.equ COM1_LSR,          0x3fd
.equ LSR_THRE,          0x20            ; transmit holding register empty
.equ PIC1_CMD,          0x20
.equ PIC1_DATA,         0x21            ; mask of lines 0-7 (1 = masked)
.equ PIC_EOI,           0x20            ; non-specific end of interrupt
.equ TIMER_PERIOD,      0x40            ; 32-bit period in virtual microseconds
.equ POWER,             0xf4            ; power off with the written exit code
.equ IRQ_BASE,          32              ; IRQ n arrives on vector 32 + n
.equ VEC_TIMER,         32              ; IRQ 0
.equ VEC_SYSCALL,       0x80

; ---- paging (x86 non-PAE PDE/PTE bits) ----------------------------------------------------
.equ PAGE_SIZE,         4096
.equ PTE_P,             0x001
.equ PTE_RW,            0x002
.equ PTE_US,            0x004
.equ CR0_PG,            0x80000000
.equ CR0_WP,            0x00010000

; ---- IDT gates (vmm/cpu/cpu.ts): dword handler, dword flags ------------------------------
.equ GATE_P,            1               ; present
.equ GATE_DPL3,         6               ; DPL 3 in bits 1-2: `int n` allowed from ring 3
.equ GATE_TRAP,         8               ; trap gate: IF is left alone (unset: interrupt gate, IF=0)

; ---- system calls (docs/guest-os.md): eax = number, ebx/ecx/edx = arguments, eax = result --
.equ SYS_EXIT,          0               ; exit(code)                 does not return
.equ SYS_WRITE,         1               ; write(buf, len)            -> len, or -EFAULT
.equ SYS_TICKS,         2               ; ticks()                    -> timer ticks since boot
.equ SYS_SLEEP,         3               ; sleep(n)                   -> 0 after n ticks
.equ NR_SYSCALLS,       4
.equ EFAULT,            14
.equ ENOSYS,            38
.equ EINVAL,            22
