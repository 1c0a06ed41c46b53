; setjmp and longjmp (cdecl). A jmp_buf holds ebx, esi, edi, ebp, the caller's esp after the
; return, and the return address: the callee-saved state of the vamos cc ABI.

.text
setjmp:
        mov eax, [esp + 4]
        mov [eax], ebx
        mov [eax + 4], esi
        mov [eax + 8], edi
        mov [eax + 12], ebp
        lea ecx, [esp + 4]
        mov [eax + 16], ecx
        mov ecx, [esp]
        mov [eax + 20], ecx
        mov eax, 0
        ret

longjmp:
        mov edx, [esp + 4]
        mov eax, [esp + 8]
        test eax, eax
        jne .nonzero
        mov eax, 1              ; longjmp(env, 0) makes setjmp return 1, as C requires
.nonzero:
        mov ebx, [edx]
        mov esi, [edx + 4]
        mov edi, [edx + 8]
        mov ebp, [edx + 12]
        mov esp, [edx + 16]
        jmp [edx + 20]
