; crt0 for vamos user programs (docs/guest-user.md). The kernel enters here in ring 3 with
; eax = heap base, ecx = heap size in bytes and esp -> [argc][argv] (argv[argc] = NULL).
; Its symbols are named UCRT0_*/__ucrt0_* because every object of a program shares one namespace.

.text
.global _start
_start:
        mov ebp, 0
        mov ebx, [esp]          ; argc
        mov esi, [esp + 4]      ; argv
        push ecx
        push eax
        call __libc_heap_init
        add esp, 8
        push esi
        push ebx
        call main
        add esp, 8
        push eax
        call exit               ; exit(main's value): flushes the output buffer, then SYS_EXIT
.stop:
        jmp .stop
