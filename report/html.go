package report

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"embed"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"html/template"
	"io"
)

//go:embed assets/report.html.tmpl assets/report.css assets/report.js
var assets embed.FS

func mustAsset(name string) string {
	b, err := assets.ReadFile("assets/" + name)
	if err != nil {
		panic("report: embedded asset missing: " + name)
	}
	return string(b)
}

var (
	htmlStyle  = mustAsset("report.css")
	htmlScript = mustAsset("report.js")
)

// cspHash is the Content-Security-Policy source that allows exactly one inline block.
// With it the page runs our script and nothing else: even if model text slipped
// past escaping, an injected script would be refused.
func cspHash(s string) string {
	sum := sha256.Sum256([]byte(s))
	return "'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) + "'"
}

type htmlSlices struct {
	ID, Title, Key string
	Slices         []Slice
	Macro          []string // one per variant, categories only
}

// htmlSpeed is the speed section of the page.
type htmlSpeed struct {
	Tables    []*textTable
	Chart     template.URL
	Decisions []string
}

// htmlSpeedOf renders the speed section, nil without one.
func (c *Comparison) htmlSpeedOf() (*htmlSpeed, error) {
	if c.Speed == nil {
		return nil, nil
	}
	hs := &htmlSpeed{Tables: c.speedTables()}
	var svg bytes.Buffer
	if err := c.SpeedSVG(&svg, ChartWidth, ChartHeight); err == nil {
		hs.Chart = template.URL("data:image/svg+xml;base64," + base64.StdEncoding.EncodeToString(svg.Bytes()))
	} else if !errors.Is(err, errNoSpeed) && c.speedPoints() != nil {
		return nil, err
	}
	for i := range c.Variants {
		if line := c.DecisionLine(&c.Variants[i]); line != "" {
			hs.Decisions = append(hs.Decisions, line)
		}
	}
	return hs, nil
}

type htmlView struct {
	C                       *Comparison
	Alpha                   string
	Style                   template.CSS
	Script                  template.JS
	StyleHash, ScriptHash   string
	Chart                   template.URL
	ChartWidth, ChartHeight int
	GridCols                int
	Slices                  []htmlSlices
	Consistency             *textTable    // nil: no section
	Repeated                *textTable    // nil: no section (paired.go)
	Thinking                *textTable    // nil: no section
	Tasks                   []titledTable // code and IFEval sections (code.go, ifeval.go)
	Speed                   *htmlSpeed    // nil: no bench results
	Floor                   []string      // the noise floor's sentences; nil: no repeats
	Data                    template.JS   // the grid's texts and indexes (see htmldata.go)
}

func (c *Comparison) htmlTemplate() (*template.Template, error) {
	funcs := template.FuncMap{
		"acc":    FormatAcc,
		"pval":   FormatP,
		"points": FormatPoints,
		"ci":     formatCI,
		"score":  scoreCell,
		"mul100": func(x float64) float64 { return x * 100 },
		"reflabel": func(v Variant) string {
			return c.RefLabel(&v)
		},
		"verdictline": func(v Variant) string {
			return c.VerdictLine(&v)
		},
		// numcol tells the number columns of a textTable from its leading text ones.
		"numcol": func(t *textTable, col int) bool { return col >= t.Left },
		// verdictskey names the verdicts' test: McNemar, or per-item rates (paired.go).
		"verdictskey": c.verdictsKey,
		"verdict": func(p any) (string, error) {
			switch p := p.(type) {
			case *Paired:
				return c.VerdictText(p), nil
			case *VsRef:
				return c.VerdictText(&p.Paired), nil
			}
			return "", fmt.Errorf("verdict of %T", p)
		},
	}
	return template.New("report").Funcs(funcs).Parse(mustAsset("report.html.tmpl"))
}

// HTML writes one self-contained page: the tables, the chart (as an SVG data: URI),
// the verdicts, the warnings and the item-by-item grid with its flips-only filter.
// It loads nothing from the network; html/template escapes all model text, the grid's
// texts are a JSON data block that the script shows as text, and the page's
// Content-Security-Policy admits only its own script and style. The page is at most
// MaxHTMLBytes whatever the outputs' length (see htmldata.go for how texts are cut).
func (c *Comparison) HTML(w io.Writer) error {
	var svg bytes.Buffer
	if err := c.SVG(&svg, ChartWidth, ChartHeight); err != nil {
		return err
	}
	t, err := c.htmlTemplate()
	if err != nil {
		return fmt.Errorf("html: template: %w", err)
	}
	view := htmlView{
		C:           c,
		Alpha:       formatAlpha(c.Alpha),
		Style:       template.CSS(htmlStyle),
		Script:      template.JS(htmlScript),
		StyleHash:   cspHash(htmlStyle),
		ScriptHash:  cspHash(htmlScript),
		Chart:       template.URL("data:image/svg+xml;base64," + base64.StdEncoding.EncodeToString(svg.Bytes())),
		ChartWidth:  ChartWidth,
		ChartHeight: ChartHeight,
		GridCols:    3 + len(c.Variants),
		Consistency: c.consistencyTable(),
		Repeated:    c.repeatedTable(),
		Thinking:    c.thinkingTable(),
		Tasks:       c.taskTables(0),
		Floor:       c.floorLines(func(s string) string { return s }),
		Slices: []htmlSlices{
			{ID: "by-type", Title: c.T("bytype"), Key: c.T("type"), Slices: c.ByType},
			{ID: "by-category", Title: c.T("bycategory"), Key: c.T("category"), Slices: c.ByCategory},
		},
	}
	if view.Speed, err = c.htmlSpeedOf(); err != nil {
		return fmt.Errorf("html: %w", err)
	}
	if len(c.ByCategory) > 0 {
		for i := range c.Variants {
			m := "–"
			if v := c.Variants[i].CategoryMacro; v != nil {
				m = FormatAcc(*v)
			}
			view.Slices[1].Macro = append(view.Slices[1].Macro, m)
		}
	}
	// The page is rendered once around a placeholder for the data block; the
	// page without its texts tells how many bytes the texts may take.
	var nonce [12]byte
	if _, err := rand.Read(nonce[:]); err != nil {
		return fmt.Errorf("html: %w", err)
	}
	placeholder := "quanteval-data-" + hex.EncodeToString(nonce[:])
	view.Data = template.JS(placeholder)
	var page bytes.Buffer
	if err := t.Execute(&page, view); err != nil {
		return fmt.Errorf("html: %w", err)
	}
	before, after, ok := bytes.Cut(page.Bytes(), []byte(placeholder))
	if !ok {
		return errors.New("html: the template has no data block")
	}
	data, texts := c.htmlDataOf()
	skeleton, err := data.marshal()
	if err != nil {
		return err
	}
	rest := len(before) + len(after) + len(skeleton) - 2*len(texts.texts)
	fitTexts(data, texts, max(MaxHTMLBytes-rest, minTextBudget))
	js, err := data.marshal()
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	buf.Grow(len(before) + len(js) + len(after))
	buf.Write(before)
	buf.WriteString(string(js))
	buf.Write(after)
	if _, err := w.Write(buf.Bytes()); err != nil {
		return fmt.Errorf("html: %w", err)
	}
	return nil
}
