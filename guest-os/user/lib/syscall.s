; __vamos_syscall(nr, a, b, c, d, e): int 0x80 with eax = nr and ebx ecx edx esi edi = a..e
; (guest-os/include/syscall.h). Returns the kernel's eax. ebx, esi and edi are callee-saved
; in the C ABI, so they are kept.

.text
.global __vamos_syscall
__vamos_syscall:
        push ebx
        push esi
        push edi
        mov eax, [esp + 16]
        mov ebx, [esp + 20]
        mov ecx, [esp + 24]
        mov edx, [esp + 28]
        mov esi, [esp + 32]
        mov edi, [esp + 36]
        int 0x80
        pop edi
        pop esi
        pop ebx
        ret
