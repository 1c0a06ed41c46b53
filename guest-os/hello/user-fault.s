; guest-os/hello/user-fault.s: a ring-3 program that misbehaves, for tests/boot. It asks the
; kernel to write from kernel memory (refused with -EFAULT), then executes a privileged
; instruction (cli), which raises #GP(0) at ring 3; the kernel's exception handler reports it
; and powers off with 0x80 + 13.

.text
.align PAGE_SIZE
user_text_start:

user_main:
        mov esi, u_msg_hello
        call u_puts
        mov eax, SYS_WRITE              ; write(the kernel's first page, 16)
        mov ebx, kernel_text_start
        mov ecx, 16
        int VEC_SYSCALL
        mov esi, u_msg_efault
        call u_puts
        call u_put_int
        mov esi, u_msg_nosys
        call u_puts
        mov eax, 99                     ; no such system call
        int VEC_SYSCALL
        call u_put_int
        mov esi, u_msg_cli
        call u_puts
user_fault_insn:
        cli                             ; privileged: #GP(0)
        xor ebx, ebx                    ; not reached
        call u_exit

.include "ulib.s"

u_msg_hello:    .asciz "hello from ring 3, about to misbehave\n"
u_msg_efault:   .asciz "user: write(kernel memory) returned "
u_msg_nosys:    .asciz "\nuser: system call 99 returned "
u_msg_cli:      .asciz "\nuser: executing cli\n"
.align PAGE_SIZE
user_text_end:
