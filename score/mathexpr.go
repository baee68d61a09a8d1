package score

import (
	"math"
	"math/big"
	"strconv"
	"strings"
)

// evalMath evaluates a normalised answer that is plain arithmetic:
//
//	expr   = term {("+" | "-") term}
//	term   = unary {("*" | `\cdot` | `\times` | "/") unary | power}   (a product may be implicit: 2\sqrt{3})
//	unary  = ("-" | "+") unary | power
//	power  = atom ["^" (digit | "{" expr "}")]
//	atom   = number | "{" expr "}" | "(" expr ")" | `\frac{` expr `}{` expr `}` | `\sqrt` ["[" expr "]"] "{" expr "}" | `\pi`
//
// ok is false for anything else (a variable, \infty, text), so that only numbers are
// compared as numbers.
func evalMath(s string) (float64, bool) {
	v, ok := evalNum(s)
	return v.f, ok
}

// mathNum is a value both as a float and, while only rational operations made it
// (decimals, + - * /, whole powers), exactly.
type mathNum struct {
	f float64
	r *big.Rat // nil once inexact: \sqrt, \pi, a fractional power
}

// evalNum is evalMath with the exact value when there is one.
func evalNum(s string) (mathNum, bool) {
	p := &exprParser{s: s}
	v, ok := p.expr()
	if !ok || p.i != len(s) || math.IsNaN(v.f) || math.IsInf(v.f, 0) {
		return mathNum{}, false
	}
	return v, true
}

func inexact(f float64) mathNum { return mathNum{f: f} }

func (a mathNum) add(b mathNum, sign int) mathNum {
	v := mathNum{f: a.f + float64(sign)*b.f}
	if a.r != nil && b.r != nil {
		w := new(big.Rat).Set(b.r)
		if sign < 0 {
			w.Neg(w)
		}
		v.r = bounded(w.Add(a.r, w))
	}
	return v
}

func (a mathNum) mul(b mathNum) mathNum {
	v := mathNum{f: a.f * b.f}
	if a.r != nil && b.r != nil {
		v.r = bounded(new(big.Rat).Mul(a.r, b.r))
	}
	return v
}

func (a mathNum) div(b mathNum) mathNum {
	v := mathNum{f: a.f / b.f}
	if a.r != nil && b.r != nil && b.r.Sign() != 0 {
		v.r = bounded(new(big.Rat).Quo(a.r, b.r))
	}
	return v
}

// maxExactBits bounds an exact power, so that 10^{100000} is not computed exactly;
// four times as many bound any exact value, so that a long product of such powers
// (a reply stuck in a loop) does not grow without end.
const maxExactBits = 1 << 14

// bounded returns r, or nil (inexact) when it has grown past 4*maxExactBits.
func bounded(r *big.Rat) *big.Rat {
	if r.Num().BitLen()+r.Denom().BitLen() > 4*maxExactBits {
		return nil
	}
	return r
}

func (a mathNum) pow(e mathNum) mathNum {
	v := mathNum{f: math.Pow(a.f, e.f)}
	if a.r == nil || e.r == nil || !e.r.IsInt() || !e.r.Num().IsInt64() {
		return v
	}
	n := e.r.Num().Int64()
	bits := int64(a.r.Num().BitLen() + a.r.Denom().BitLen())
	if n < -maxExactBits || n > maxExactBits || bits*max(n, -n) > maxExactBits || n < 0 && a.r.Sign() == 0 {
		return v
	}
	k := big.NewInt(max(n, -n))
	r := new(big.Rat).SetFrac(new(big.Int).Exp(a.r.Num(), k, nil), new(big.Int).Exp(a.r.Denom(), k, nil))
	if n < 0 {
		r.Inv(r)
	}
	v.r = r
	return v
}

type exprParser struct {
	s     string
	i     int
	depth int
}

func (p *exprParser) eat(tok string) bool {
	if strings.HasPrefix(p.s[p.i:], tok) {
		p.i += len(tok)
		return true
	}
	return false
}

func (p *exprParser) expr() (mathNum, bool) {
	p.depth++
	defer func() { p.depth-- }()
	if p.depth > 50 {
		return mathNum{}, false
	}
	v, ok := p.term()
	for ok {
		switch {
		case p.eat("+"):
			var w mathNum
			w, ok = p.term()
			v = v.add(w, 1)
		case p.eat("-"):
			var w mathNum
			w, ok = p.term()
			v = v.add(w, -1)
		default:
			return v, true
		}
	}
	return mathNum{}, false
}

func (p *exprParser) term() (mathNum, bool) {
	v, ok := p.unary()
	for ok {
		switch {
		case p.eat("*"), p.eat(`\cdot`), p.eat(`\times`):
			var w mathNum
			w, ok = p.unary()
			v = v.mul(w)
		case p.eat("/"):
			var w mathNum
			w, ok = p.unary()
			v = v.div(w)
		case p.i < len(p.s) && (p.s[p.i] == '\\' || p.s[p.i] == '(' || p.s[p.i] == '{'):
			var w mathNum
			w, ok = p.power()
			v = v.mul(w)
		default:
			return v, true
		}
	}
	return mathNum{}, false
}

func (p *exprParser) unary() (mathNum, bool) {
	switch {
	case p.eat("-"):
		v, ok := p.unary()
		return v.mul(mathNum{f: -1, r: big.NewRat(-1, 1)}), ok
	case p.eat("+"):
		return p.unary()
	}
	return p.power()
}

func (p *exprParser) power() (mathNum, bool) {
	v, ok := p.atom()
	if !ok || !p.eat("^") {
		return v, ok
	}
	var e mathNum
	switch {
	case p.eat("{"):
		if e, ok = p.expr(); !ok || !p.eat("}") {
			return mathNum{}, false
		}
	case p.i < len(p.s) && isDigit(p.s[p.i]):
		d := int64(p.s[p.i] - '0')
		e = mathNum{f: float64(d), r: big.NewRat(d, 1)}
		p.i++
	default:
		return mathNum{}, false
	}
	return v.pow(e), true
}

func (p *exprParser) atom() (mathNum, bool) {
	switch {
	case p.eat(`\frac{`):
		n, ok := p.expr()
		if !ok || !p.eat("}{") {
			return mathNum{}, false
		}
		d, ok := p.expr()
		if !ok || !p.eat("}") {
			return mathNum{}, false
		}
		return n.div(d), true
	case p.eat(`\sqrt`):
		root := 2.0
		if p.eat("[") {
			r, ok := p.expr()
			if !ok || !p.eat("]") {
				return mathNum{}, false
			}
			root = r.f
		}
		if !p.eat("{") {
			return mathNum{}, false
		}
		v, ok := p.expr()
		if !ok || !p.eat("}") || v.f < 0 {
			return mathNum{}, false
		}
		return inexact(math.Pow(v.f, 1/root)), true
	case p.eat(`\pi`):
		return inexact(math.Pi), true
	case p.eat("{"):
		v, ok := p.expr()
		return v, ok && p.eat("}")
	case p.eat("("):
		v, ok := p.expr()
		return v, ok && p.eat(")")
	}
	start := p.i
	for p.i < len(p.s) && (isDigit(p.s[p.i]) || p.s[p.i] == '.') {
		p.i++
	}
	if start == p.i {
		return mathNum{}, false
	}
	text := p.s[start:p.i]
	f, err := strconv.ParseFloat(text, 64)
	if err != nil {
		return mathNum{}, false
	}
	r, ok := new(big.Rat).SetString(text)
	if !ok {
		r = nil
	}
	return mathNum{f: f, r: r}, true
}

// floatTolerance is the relative difference two inexact values may have: a float's
// error after a few operations, far below any rounding a reply writes.
const floatTolerance = 1e-14

// sameNumber compares exactly when both values are exact, else as floats within
// floatTolerance of the larger (or absolutely, near 0: 2\sqrt{2}-\sqrt{8} is 0).
func sameNumber(a, b mathNum) bool {
	if a.r != nil && b.r != nil {
		return a.r.Cmp(b.r) == 0
	}
	d := math.Abs(a.f - b.f)
	return d <= floatTolerance*math.Max(math.Abs(a.f), math.Abs(b.f)) || d <= floatTolerance
}
