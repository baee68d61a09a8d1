package score

import (
	"math"
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
	p := &exprParser{s: s}
	v, ok := p.expr()
	if !ok || p.i != len(s) || math.IsNaN(v) || math.IsInf(v, 0) {
		return 0, false
	}
	return v, true
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

func (p *exprParser) expr() (float64, bool) {
	p.depth++
	defer func() { p.depth-- }()
	if p.depth > 50 {
		return 0, false
	}
	v, ok := p.term()
	for ok {
		switch {
		case p.eat("+"):
			var w float64
			w, ok = p.term()
			v += w
		case p.eat("-"):
			var w float64
			w, ok = p.term()
			v -= w
		default:
			return v, true
		}
	}
	return 0, false
}

func (p *exprParser) term() (float64, bool) {
	v, ok := p.unary()
	for ok {
		switch {
		case p.eat("*"), p.eat(`\cdot`), p.eat(`\times`):
			var w float64
			w, ok = p.unary()
			v *= w
		case p.eat("/"):
			var w float64
			w, ok = p.unary()
			v /= w
		case p.i < len(p.s) && (p.s[p.i] == '\\' || p.s[p.i] == '(' || p.s[p.i] == '{'):
			var w float64
			w, ok = p.power()
			v *= w
		default:
			return v, true
		}
	}
	return 0, false
}

func (p *exprParser) unary() (float64, bool) {
	switch {
	case p.eat("-"):
		v, ok := p.unary()
		return -v, ok
	case p.eat("+"):
		return p.unary()
	}
	return p.power()
}

func (p *exprParser) power() (float64, bool) {
	v, ok := p.atom()
	if !ok || !p.eat("^") {
		return v, ok
	}
	var e float64
	switch {
	case p.eat("{"):
		if e, ok = p.expr(); !ok || !p.eat("}") {
			return 0, false
		}
	case p.i < len(p.s) && isDigit(p.s[p.i]):
		e = float64(p.s[p.i] - '0')
		p.i++
	default:
		return 0, false
	}
	return math.Pow(v, e), true
}

func (p *exprParser) atom() (float64, bool) {
	switch {
	case p.eat(`\frac{`):
		n, ok := p.expr()
		if !ok || !p.eat("}{") {
			return 0, false
		}
		d, ok := p.expr()
		if !ok || !p.eat("}") {
			return 0, false
		}
		return n / d, true
	case p.eat(`\sqrt`):
		root := 2.0
		if p.eat("[") {
			r, ok := p.expr()
			if !ok || !p.eat("]") {
				return 0, false
			}
			root = r
		}
		if !p.eat("{") {
			return 0, false
		}
		v, ok := p.expr()
		if !ok || !p.eat("}") || v < 0 {
			return 0, false
		}
		return math.Pow(v, 1/root), true
	case p.eat(`\pi`):
		return math.Pi, true
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
		return 0, false
	}
	v, err := strconv.ParseFloat(p.s[start:p.i], 64)
	return v, err == nil
}

// closeEnough compares within a relative 1e-9 (absolute for |b| < 1).
func closeEnough(a, b float64) bool {
	return math.Abs(a-b) <= 1e-9*math.Max(1, math.Abs(b))
}
