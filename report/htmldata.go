package report

import (
	"encoding/json"
	"fmt"
	"html/template"
	"sort"
	"unicode/utf8"

	"github.com/quanteval/quanteval/consistency"
)

// The item grid's texts (prompts, expected answers, outputs, extracted answers,
// errors) are not written into the page's HTML: they are one JSON block, each
// distinct text once (an output that several variants share, a finish reason that
// every item has), and the page's script builds an item's detail when it is opened.
// The page's size is bounded:
//   - MaxHTMLBytes is the bound. The page without its texts (tables, chart, grid
//     rows, about 0.4 KB an item of four variants) is measured, and the texts get
//     what is left. The bound holds up to some 40,000 items of four variants; past
//     that the grid alone outgrows it, and the texts still get minTextBudget.
//   - When the texts do not fit, every text first keeps up to textFloor bytes (a
//     short answer whole), or less when that would take more than half the budget;
//     the items where a variant flips against the reference then get the rest
//     first, and the other items what remains, each group cut evenly, longest texts
//     first ("water-filling"). A cut text says so, with its full length; its whole
//     is in the result file.
//
// In the page a text longer than ShowChars shows its first ShowChars characters and
// a button that shows all of it, from the same embedded copy.
const (
	MaxHTMLBytes  = 20_000_000
	ShowChars     = 2000
	minTextBudget = 2_000_000
	textFloor     = 256
	// cutOverhead is what a cut text costs beyond its prefix: [ , full length ].
	cutOverhead = 14
)

// htmlData is the JSON block. Items holds, per grid row, the prompt's and the
// expected answer's text index, then per variant six numbers: ok (1), wrong (0) or
// not run (-1), then the text indexes of output, extracted answer, finish reason,
// error and consistency note (-1: none).
type htmlData struct {
	Texts  []any             `json:"t"` // a string, or [kept prefix, full length in characters]
	Items  [][]int           `json:"i"`
	Labels []string          `json:"labels"`
	Words  map[string]string `json:"w"`
	Show   int               `json:"show"`
}

const cellStride = 6

// pageTexts collects the distinct texts; prio marks those of flip items.
type pageTexts struct {
	index map[string]int
	texts []string
	prio  []bool
}

func (p *pageTexts) add(s string, prio bool) int {
	if s == "" {
		return -1
	}
	i, ok := p.index[s]
	if !ok {
		i = len(p.texts)
		p.index[s] = i
		p.texts = append(p.texts, s)
		p.prio = append(p.prio, false)
	}
	p.prio[i] = p.prio[i] || prio
	return i
}

// htmlDataOf gathers the grid's texts and indexes; its Texts are all empty strings
// until fitTexts fills them.
func (c *Comparison) htmlDataOf() (*htmlData, *pageTexts) {
	p := &pageTexts{index: map[string]int{}}
	d := &htmlData{Show: ShowChars, Words: map[string]string{}}
	for _, k := range []string{"prompt", "expected", "extracted", "finish", "error", "showall", "pagecut"} {
		d.Words[k] = c.T(k)
	}
	for i := range c.Variants {
		d.Labels = append(d.Labels, c.Variants[i].Label)
	}
	for _, it := range c.Items {
		row := make([]int, 0, 2+cellStride*len(it.Cells))
		row = append(row, p.add(it.Prompt, it.Flip), p.add(it.Expected, it.Flip))
		for _, cell := range it.Cells {
			if !cell.Present {
				row = append(row, -1, -1, -1, -1, -1, -1)
				continue
			}
			ok := 0
			if cell.OK {
				ok = 1
			}
			row = append(row, ok, p.add(cell.Output, it.Flip), p.add(cell.Extracted, it.Flip),
				p.add(cell.FinishReason, it.Flip), p.add(cell.Error, it.Flip), p.add(c.sameRef(cell.Consistency), it.Flip))
		}
		d.Items = append(d.Items, row)
	}
	d.Texts = make([]any, len(p.texts))
	for i := range d.Texts {
		d.Texts[i] = ""
	}
	return d, p
}

// sameRef is the consistency note of a cell, or "" when it has none.
func (c *Comparison) sameRef(m *consistency.ItemMetrics) string {
	switch {
	case m == nil:
		return ""
	case m.Identical:
		return c.T("sameoutput")
	case m.PrefixTokens >= 0:
		return c.Tf("differsattok", m.PrefixChars, m.PrefixTokens)
	}
	return c.Tf("differsat", m.PrefixChars)
}

// marshal is the block as it goes into the page: JSON with <, > and & escaped, so
// that nothing in it can end the script element.
func (d *htmlData) marshal() (template.JS, error) {
	b, err := json.Marshal(d)
	if err != nil {
		return "", fmt.Errorf("html: data: %w", err)
	}
	return template.JS(b), nil
}

// fitTexts fills d.Texts from p within budget bytes of JSON (quotes included).
func fitTexts(d *htmlData, p *pageTexts, budget int) {
	costs := make([]int, len(p.texts))
	total := 0
	for i, s := range p.texts {
		costs[i] = jsonLen(s)
		total += costs[i]
	}
	if total <= budget {
		for i, s := range p.texts {
			d.Texts[i] = s
		}
		return
	}
	keep := allocate(costs, p.prio, budget)
	for i, s := range p.texts {
		if keep[i] >= costs[i] {
			d.Texts[i] = s
			continue
		}
		prefix := jsonPrefix(s, keep[i]-cutOverhead)
		d.Texts[i] = []any{prefix, utf8.RuneCountInString(s)}
	}
}

// allocate gives each text its JSON bytes within budget: a floor for all, then the
// flips' texts, then the others. A text given less than its cost is cut, which costs
// cutOverhead more than its kept prefix; every figure returned includes that.
func allocate(costs []int, prio []bool, budget int) []int {
	keep := make([]int, len(costs))
	all := func(int) bool { return true }
	// The floor takes at most half the budget, so that the flips have the other half.
	floor := textFloor
	if len(costs) > 0 {
		floor = max(0, min(textFloor, budget/(2*len(costs))-cutOverhead))
	}
	if sumCharge(costs, all, floor) > budget {
		lim := waterfill(costs, all, budget, 0)
		for i, c := range costs {
			keep[i] = charge(c, lim)
		}
		return keep
	}
	left := budget
	for i, c := range costs {
		keep[i] = charge(c, floor)
		left -= keep[i]
	}
	for _, group := range []bool{true, false} {
		in := func(i int) bool { return prio[i] == group }
		base := 0
		for i := range costs {
			if in(i) {
				base += keep[i]
			}
		}
		lim := waterfill(costs, in, left+base, floor)
		for i, c := range costs {
			if in(i) {
				left += keep[i] - charge(c, lim)
				keep[i] = charge(c, lim)
			}
		}
	}
	return keep
}

// charge is what a text of JSON cost c takes when cut to a prefix of at most lim
// bytes; one that would cost no more whole is kept whole.
func charge(c, lim int) int { return min(c, lim+cutOverhead) }

func sumCharge(costs []int, in func(int) bool, lim int) int {
	s := 0
	for i, c := range costs {
		if in(i) {
			s += charge(c, lim)
		}
	}
	return s
}

// waterfill is the largest limit in [lo, the largest cost] at which the texts that in
// selects fit in budget; lo when even that does not fit.
func waterfill(costs []int, in func(int) bool, budget, lo int) int {
	hi := lo
	for i, c := range costs {
		if in(i) && c > hi {
			hi = c
		}
	}
	// sumCharge grows with the limit: search for the first limit over budget.
	n := sort.Search(hi-lo+1, func(k int) bool { return sumCharge(costs, in, lo+k) > budget })
	return max(lo, lo+n-1)
}

// jsonLen is an upper bound of the bytes of s as a JSON string, quotes included,
// as encoding/json writes it (HTML characters escaped).
func jsonLen(s string) int {
	n := 2
	for i := 0; i < len(s); {
		if b := s[i]; b < utf8.RuneSelf {
			n += asciiJSONLen[b]
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		n += runeJSONLen(r, size)
		i += size
	}
	return n
}

// asciiJSONLen is runeJSONLen for the ASCII characters, the common case.
var asciiJSONLen = func() (t [utf8.RuneSelf]int) {
	for b := range t {
		t[b] = runeJSONLen(rune(b), 1)
	}
	return t
}()

func runeJSONLen(r rune, size int) int {
	switch {
	case r == utf8.RuneError && size == 1, r < 0x20, r == '<', r == '>', r == '&', r == '\u2028', r == '\u2029':
		return 6
	case r == '"', r == '\\':
		return 2
	}
	return size
}

// jsonPrefix is the longest prefix of s whose JSON form, quotes included, takes at
// most max bytes.
func jsonPrefix(s string, max int) string {
	n := 2
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		n += runeJSONLen(r, size)
		if n > max {
			return s[:i]
		}
		i += size
	}
	return s
}
