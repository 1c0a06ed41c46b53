; crt0 for hosted vamos cc programs (`vamos cc` links it unless --no-runtime; `vamos run` boots
; the result). The boot ROM jumps here with ebx at the boot-information block (docs/boot.md):
; the stack goes at the top of RAM, the heap between the end of the image and the stack, the
; libc's output reaches COM1, and main's return value powers the machine off as its exit code.
; Its constants are named CRT0_* because every object of a program shares one namespace.

.equ CRT0_MEM_SIZE,    0x7004    ; boot-information block: bytes of RAM
.equ CRT0_KERNEL_END,  0x7014    ; first free byte above the loaded image (4 KiB aligned)
.equ CRT0_STACK_SIZE,  0x100000  ; 1 MiB below the top of RAM
.equ CRT0_COM1,        0x3f8
.equ CRT0_POWEROFF,    0xf4      ; a dword written here powers off with that exit code

.text
_start:
        mov esp, [CRT0_MEM_SIZE]
        mov ebp, 0
        mov eax, [CRT0_KERNEL_END]
        mov ecx, [CRT0_MEM_SIZE]
        sub ecx, CRT0_STACK_SIZE
        sub ecx, eax            ; heap length (the allocator refuses a nonsensical one)
        jae .heap
        mov ecx, 0
.heap:
        push ecx
        push eax
        call __libc_heap_init
        add esp, 8
        push __crt0_argv
        push 1
        call main
        add esp, 8
        push eax
        call exit               ; exit(main's value): the libc may flush first

__libc_putchar_hook:
        mov eax, [esp + 4]
        outb CRT0_COM1, eax          ; transmission is instantaneous: no need to poll the LSR
        ret

__libc_exit_hook:
        mov eax, [esp + 4]
        outd CRT0_POWEROFF, eax
.stop:
        hlt
        jmp .stop

.data
__crt0_argv:
        .dword __crt0_name, 0
__crt0_name:
        .asciz "prog"
