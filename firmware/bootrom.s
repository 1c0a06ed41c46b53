; firmware/bootrom.s: the vamos boot ROM (docs/boot.md).
;
; Assembled at 0xFFFF0000 (the 64 KiB ROM window, firmware/build.ts). The vCPU starts at the
; reset vector 0xFFFFFFF0 at ring 0, paging off, IF=0. The VMM has already loaded the kernel
; into RAM and written the boot-information block at 0x7000; the ROM checks the block's magic
; and jumps to the kernel entry with eax = the magic and ebx = the block. Without a block it
; says so on COM1 and powers off with 0xFF. Everything lives in .text: the ROM has no RAM of
; its own beyond the stack below the block.

.equ BOOT_INFO,         0x7000          ; vmm/bootinfo.ts BOOT_INFO_ADDR
.equ BOOT_MAGIC,        0x31494256      ; "VBI1"
.equ BI_KERNEL_ENTRY,   0x10
.equ STACK_TOP,         0x7000          ; FIRMWARE_STACK_TOP: grows down below the block
.equ COM1,              0x3f8
.equ COM1_LSR,          0x3fd
.equ LSR_THRE,          0x20
.equ POWER,             0xf4
.equ EXIT_NO_KERNEL,    0xff

.text
_start:
        mov esp, STACK_TOP
        mov ebx, BOOT_INFO
        mov eax, [ebx]
        cmp eax, BOOT_MAGIC
        jne no_kernel
        mov ecx, [ebx + BI_KERNEL_ENTRY]
        jmp ecx                         ; eax = BOOT_MAGIC, ebx = BOOT_INFO

no_kernel:
        mov esi, msg_no_kernel
.next:
        movzxb eax, [esi]
        test eax, eax
        je .off
.wait:
        inb edx, COM1_LSR               ; wait for the transmitter, as a real driver would
        test edx, LSR_THRE
        je .wait
        outb COM1, eax
        inc esi
        jmp .next
.off:
        mov eax, EXIT_NO_KERNEL
        outd POWER, eax
.halt:
        hlt                             ; IF=0: the VMM stops here if it ignored the power-off
        jmp .halt

msg_no_kernel:  .asciz "bootrom: no kernel loaded (boot-information block missing)\n"

; The reset vector: the last 16 bytes of the ROM.
.org 0xfffffff0
reset:
        jmp _start
