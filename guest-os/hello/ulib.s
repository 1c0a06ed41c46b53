; guest-os/hello/ulib.s: ring-3 helpers over the system calls (docs/guest-os.md). Included by
; user programs inside their user pages. Every helper keeps all registers but eax's result.

; u_puts(esi = NUL-terminated string)
u_puts:
        push eax
        push ebx
        push ecx
        mov ebx, esi
        xor ecx, ecx
.len:
        movzxb eax, [esi + ecx]
        test eax, eax
        je .write
        inc ecx
        jmp .len
.write:
        mov eax, SYS_WRITE
        int VEC_SYSCALL
        pop ecx
        pop ebx
        pop eax
        ret

; u_put_dec(eax): unsigned decimal, formatted in a buffer on the user stack.
u_put_dec:
        push eax
        push ebx
        push ecx
        push edx
        push edi
        sub esp, 12
        lea edi, [esp + 12]             ; digits are stored backwards from the buffer's end
        mov ebx, 10
.div:
        xor edx, edx
        div ebx
        add edx, '0'
        dec edi
        movb [edi], edx
        test eax, eax
        jne .div
        mov ebx, edi
        lea ecx, [esp + 12]
        sub ecx, edi
        mov eax, SYS_WRITE
        int VEC_SYSCALL
        add esp, 12
        pop edi
        pop edx
        pop ecx
        pop ebx
        pop eax
        ret

; u_put_int(eax): signed decimal.
u_put_int:
        test eax, eax
        jns u_put_dec
        push eax
        push esi
        mov esi, u_minus
        call u_puts
        pop esi
        pop eax
        push eax
        neg eax
        call u_put_dec
        pop eax
        ret

; u_ticks() -> eax
u_ticks:
        mov eax, SYS_TICKS
        int VEC_SYSCALL
        ret

; u_sleep(ebx = ticks)
u_sleep:
        mov eax, SYS_SLEEP
        int VEC_SYSCALL
        ret

; u_exit(ebx = code): does not return.
u_exit:
        mov eax, SYS_EXIT
        int VEC_SYSCALL
        ud2

u_minus:        .asciz "-"
.align 4
