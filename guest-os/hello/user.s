; guest-os/hello/user.s: the default guest's ring-3 program. It lives in its own pages of the
; kernel image (from user_text_start to user_text_end), which the kernel maps with the US bit,
; read-only; its stack is the kernel's user_stack. It talks to the kernel only through int 0x80.
;
; It greets, sleeps 5 ticks (the kernel halts meanwhile), then busy-waits 2 more ticks with
; ticks() (so timer interrupts arrive while ring 3 runs), reports the tick counts it saw and
; exits with code 0.

.equ SLEEP_TICKS,       5
.equ SPIN_TICKS,        2

.text
.align PAGE_SIZE
user_text_start:

user_main:
        mov esi, u_msg_hello
        call u_puts
        call u_ticks
        mov ebp, eax                    ; t0
        mov ebx, SLEEP_TICKS
        call u_sleep
        call u_ticks
        mov edi, eax                    ; t1
        lea ebx, [edi + SPIN_TICKS]
.spin:
        call u_ticks
        cmp eax, ebx
        jb .spin
        mov edx, eax                    ; t2
        mov esi, u_msg_slept            ; user: slept from tick t0 to tick t1, then spun to tick t2
        call u_puts
        mov eax, ebp
        call u_put_dec
        mov esi, u_msg_to
        call u_puts
        mov eax, edi
        call u_put_dec
        mov esi, u_msg_spun
        call u_puts
        mov eax, edx
        call u_put_dec
        mov esi, u_msg_nl
        call u_puts
        xor ebx, ebx
        call u_exit

.include "ulib.s"

u_msg_hello:    .asciz "hello from ring 3\n"
u_msg_slept:    .asciz "user: slept from tick "
u_msg_to:       .asciz " to tick "
u_msg_spun:     .asciz ", then spun to tick "
u_msg_nl:       .asciz "\n"
.align PAGE_SIZE
user_text_end:
