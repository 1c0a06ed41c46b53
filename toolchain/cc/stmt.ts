/** Statements and blocks: control flow, labels, switch cases and block-scope declarations. */
import type { Expr, Stmt, SwitchInfo } from './ast.js';
import { fail } from './errors.js';
import { constInt, parseExpr } from './expr.js';
import type { Parser } from './parser.js';
import { condition, convertAssign, rval } from './sema.js';
import { INT, typeName } from './types.js';

export function compound(p: Parser): Stmt {
  const open = p.expect('{');
  const body: Stmt[] = [];
  while (!p.eat('}')) {
    if (p.peek().k === 'eof') fail(p.peek().loc, "expected '}' before end of input");
    body.push(blockItem(p));
  }
  return { s: 'block', body, loc: open.loc };
}

function blockItem(p: Parser): Stmt {
  if (p.is('_Static_assert')) { p.staticAssert(); return { s: 'nop', loc: p.peek().loc }; }
  if (p.startsType() && !(p.peek().k === 'id' && p.is(':', 1))) return p.blockDecl();
  if (p.peek().k === 'kw' && ['static', 'extern', 'typedef', 'register', 'auto', 'inline', '__extension__'].includes(p.peek().text)) return p.blockDecl();
  return statement(p);
}

function scoped(p: Parser, f: () => Stmt): Stmt {
  p.push();
  try { return f(); } finally { p.pop(); }
}

function loopBody(p: Parser): Stmt {
  const f = p.fn!;
  f.loops++; f.breakable++;
  try { return statement(p); } finally { f.loops--; f.breakable--; }
}

export function statement(p: Parser): Stmt {
  const t = p.peek();
  const loc = t.loc;
  const f = p.fn!;
  if (t.k === 'id' && p.is(':', 1)) {
    p.next(); p.next();
    const l = f.labels.get(t.text);
    if (l?.defined) fail(loc, `duplicate label '${t.text}'`);
    f.labels.set(t.text, { defined: true, loc });
    p.skipAttributes();
    const body = p.is('}') ? { s: 'nop', loc } as Stmt : statement(p);
    return { s: 'label', label: `.U_${t.text}`, body, loc };
  }
  if (t.k === 'punct' && t.text === '{') return scoped(p, () => compound(p));
  if (t.k === 'punct' && t.text === ';') { p.next(); return { s: 'nop', loc }; }
  if (t.k !== 'kw') return exprStmt(p);
  switch (t.text) {
    case 'if': {
      p.next(); p.expect('(');
      const c = condition(parseExpr(p));
      p.expect(')');
      const th = scoped(p, () => statement(p));
      const el = p.eat('else') ? scoped(p, () => statement(p)) : undefined;
      return { s: 'if', c, t: th, f: el, loc };
    }
    case 'while': {
      p.next(); p.expect('(');
      const c = condition(parseExpr(p));
      p.expect(')');
      return { s: 'while', c, body: scoped(p, () => loopBody(p)), loc };
    }
    case 'do': {
      p.next();
      const body = scoped(p, () => loopBody(p));
      p.expect('while'); p.expect('(');
      const c = condition(parseExpr(p));
      p.expect(')'); p.expect(';');
      return { s: 'do', body, c, loc };
    }
    case 'for': {
      p.next(); p.expect('(');
      return scoped(p, () => {
        let init: Stmt | undefined;
        if (p.startsType() || p.is('static')) init = p.blockDecl();
        else if (!p.eat(';')) { init = { s: 'expr', e: parseExpr(p), loc }; p.expect(';'); }
        const c = p.is(';') ? undefined : condition(parseExpr(p));
        p.expect(';');
        const step = p.is(')') ? undefined : parseExpr(p);
        p.expect(')');
        return { s: 'for', init, c, step, body: scoped(p, () => loopBody(p)), loc };
      });
    }
    case 'switch': {
      p.next(); p.expect('(');
      let e = rval(parseExpr(p));
      if (e.ty.k !== 'int') fail(e.loc, 'switch quantity is not an integer');
      e = convertAssign(e, e.ty.rank < 3 ? INT : e.ty, e.loc);
      p.expect(')');
      const info: SwitchInfo = { ty: e.ty, cases: [], defaultLabel: undefined };
      f.switches.push(info); f.breakable++;
      try {
        const body = scoped(p, () => statement(p));
        return { s: 'switch', e, body, info, loc };
      } finally { f.switches.pop(); f.breakable--; }
    }
    case 'case': case 'default': {
      p.next();
      const sw = f.switches[f.switches.length - 1];
      if (!sw) fail(loc, `'${t.text}' label not within a switch statement`);
      const label = p.newLabel();
      if (t.text === 'case') {
        const ty = sw.ty;
        const v = constInt(p, parseExpr(p), 'case label is not an integer constant');
        const val = BigInt.asUintN(ty.k === 'int' && ty.size === 8 ? 64 : 32, v);
        if (p.is('...')) fail(p.peek().loc, 'case ranges are not supported');
        if (sw.cases.some((c) => c.val === val)) fail(loc, 'duplicate case value');
        sw.cases.push({ val, label });
      } else {
        if (sw.defaultLabel) fail(loc, 'multiple default labels in one switch');
        sw.defaultLabel = label;
      }
      p.expect(':');
      const body = p.is('}') ? { s: 'nop', loc } as Stmt : statement(p);
      return { s: 'label', label, body, loc };
    }
    case 'break':
      p.next(); p.expect(';');
      if (!f.breakable) fail(loc, 'break statement not within a loop or switch');
      return { s: 'break', loc };
    case 'continue':
      p.next(); p.expect(';');
      if (!f.loops) fail(loc, 'continue statement not within a loop');
      return { s: 'continue', loc };
    case 'goto': {
      p.next();
      if (p.is('*')) fail(loc, 'computed goto is not supported');
      const id = p.ident();
      p.expect(';');
      if (!f.labels.has(id.text)) f.labels.set(id.text, { defined: false, loc: id.loc });
      return { s: 'goto', label: `.U_${id.text}`, loc };
    }
    case 'return': {
      p.next();
      if (p.eat(';')) {
        if (f.ret.k !== 'void') fail(loc, `'return' with no value in a function returning '${typeName(f.ret)}'`);
        return { s: 'return', e: undefined, loc };
      }
      const e0 = parseExpr(p);
      p.expect(';');
      if (f.ret.k === 'void') {
        if (rval(e0).ty.k !== 'void') fail(loc, "'return' with a value in a function returning void");
        return { s: 'return', e: e0, loc };
      }
      return { s: 'return', e: convertAssign(e0, f.ret, e0.loc, 'return'), loc };
    }
    case 'asm': case '__asm__': case '__asm':
      fail(loc, 'inline assembly is not supported');
    default:
      return exprStmt(p);
  }
}

function exprStmt(p: Parser): Stmt {
  const loc = p.peek().loc;
  const e: Expr = parseExpr(p);
  p.expect(';', "';' after the expression");
  return { s: 'expr', e, loc };
}
