// Package report owns the comparison of precision variants: it builds one model
// (Comparison) from result files, once, and renders it as Markdown, CSV, JSON (schema
// quanteval/compare/v1), a PNG or SVG bar chart, and one self-contained HTML file.
//
// # Decisions
//
// Every variant is held against one reference over the items both have (matched by
// id): the difference in accuracy with Newcombe's paired interval, the exact McNemar
// p-value, the flips each way, the agreement of extracted answers and the smallest
// difference the set could detect (package stats). Newcombe's interval of the
// difference is in the JSON and CSV only: on small sets it can exclude 0 while the
// exact test does not reject (e.g. 4 losses, 0 gains of 12), and a verdict that seems
// to contradict its own interval confuses more than it informs; the verdict is the
// exact test's. Accuracy itself is ok / count over
// the variant's own items, as in the seed; an item that failed with an error counts
// as wrong, and is also counted and warned about.
//
// Differences that make variants less comparable (generation parameters, missing
// items, incomplete runs, errors) do not stop the comparison: they are Warnings, data
// on the model that every renderer shows. What makes a comparison meaningless (other
// eval sets, an unknown reference) is an error from Build.
//
// Secondary metrics (Record.Scores, e.g. gsm8k "flexible") are scored and compared
// like the primary one, over the items that carry them, and shown as extra columns.
//
// Many categories (MMLU has 57 subjects) would drown the Markdown table, so the
// Markdown shows the by-category table only up to MaxMarkdownCategories and
// otherwise the macro average; CSV, JSON and HTML always have every category.
//
// Beyond accuracy, each variant's outputs are held against the reference's (package
// consistency): identical outputs, common prefix, first divergence and, where both
// runs kept log-probabilities, KL divergence and top-1 agreement. Build reads the
// side files the results name; one that is missing or unreadable is a warning, not an
// error, and the figures that need no tokens are still shown. The Markdown and HTML
// share one table of these (consistencyTable), with the token and KL columns only
// when some variant has them.
//
// Extending: a new per-variant section is a field on VsRef or Variant, filled in
// Build, plus one section function per renderer (see the sections lists in
// markdown.go and html.go); nil fields render nothing.
package report

import (
	"github.com/quanteval/quanteval/consistency"
	"github.com/quanteval/quanteval/result"
	"github.com/quanteval/quanteval/stats"
)

// Schema is the value of the "schema" field of the JSON report.
const Schema = "quanteval/compare/v1"

// Defaults of Options.
const (
	DefaultAlpha = 0.05
	DefaultPower = 0.8
	// Confidence of every interval in the report.
	Confidence = 0.95
	// MaxMarkdownCategories is the most categories the Markdown lists one by one.
	MaxMarkdownCategories = 12
)

// Options configure Build.
type Options struct {
	// Labels name the variants, one per input; empty: a short form of each model name.
	Labels []string
	// Ref is the label of the reference; empty: the last input.
	Ref string
	// Alpha is the significance level of the tests; 0: DefaultAlpha.
	Alpha float64
	// Power is the power at which the detectable difference is stated; 0: DefaultPower.
	Power float64
	// Lang is the language of the text reports: "en" (default) or "zh".
	Lang string
	// Bench are bench results to show beside accuracy (the speed section, the
	// accuracy-throughput chart and the decision lines); see speed.go.
	Bench []BenchInput
	// SpeedLevel is the concurrency of the chart and the decision lines; 0: the
	// highest that every benched variant has.
	SpeedLevel int
	// RefRepeats are further runs of the reference with the same settings: their
	// flips against its first run are the noise floor (see decision.go).
	RefRepeats []Input
}

// Input is one result file and where it was read from.
type Input struct {
	Path string
	File *result.File
}

// Comparison is the whole model every renderer draws from.
type Comparison struct {
	Schema     string  `json:"schema"`
	Evalset    Evalset `json:"evalset"`
	Reference  string  `json:"reference"` // label of the reference variant
	Alpha      float64 `json:"alpha"`
	Confidence float64 `json:"confidence"`
	Power      float64 `json:"power"`
	// Metrics names the secondary metrics, in the order of Variant.Metrics.
	Metrics  []string  `json:"metrics,omitempty"`
	Variants []Variant `json:"variants"`
	// ByType and ByCategory are the same accuracy table per slice, sorted by key.
	ByType     []Slice `json:"by_type"`
	ByCategory []Slice `json:"by_category,omitempty"`
	// Code and IFEval are the task sections (code.go, ifeval.go); nil without such items.
	Code   *CodeSummary   `json:"code,omitempty"`
	IFEval *IFEvalSummary `json:"ifeval,omitempty"`
	// Warnings say what makes the variants less comparable; every report shows them.
	Warnings []string `json:"warnings"`
	// Speed is the speed section; nil without bench results.
	Speed *Speed `json:"speed,omitempty"`
	// NoiseFloor is the reference against its own further runs; nil without them.
	NoiseFloor *NoiseFloor `json:"noise_floor,omitempty"`
	// Items is the item-by-item grid (for the HTML), in the reference's order.
	Items []Item `json:"-"`
	// Lang is the language of the text reports.
	Lang string `json:"-"`
}

// Evalset identifies the items compared.
type Evalset struct {
	Name   string `json:"name"`
	SHA256 string `json:"sha256"`
	Count  int    `json:"count"` // items in the set (the reference's count when a run was limited)
}

// Score is ok out of count with its Wilson interval.
type Score struct {
	OK       int     `json:"ok"`
	Count    int     `json:"count"`
	Accuracy float64 `json:"accuracy"`
	Lo       float64 `json:"lo"`
	Hi       float64 `json:"hi"`
}

func newScore(ok, count int) Score {
	w := stats.Wilson(ok, count, Confidence)
	return Score{OK: ok, Count: count, Accuracy: w.Center, Lo: w.Lo, Hi: w.Hi}
}

// Verdict codes.
const (
	VerdictSame   = "no_difference"
	VerdictLower  = "lower"
	VerdictHigher = "higher"
	// VerdictTooFew: fewer than MinCommon items in common, no verdict.
	VerdictTooFew = "too_few"
)

// MinCommon is the fewest items in common on which a variant gets a verdict. Below
// it the exact test can only reject when every flip goes one way (6 of 6 at α =
// 0.05), and a "no significant difference" over 4 items would read as evidence of
// none; the report says "too few for a verdict" instead, and keeps the figures.
const MinCommon = 10

// Paired is a variant against the reference over the items both have.
type Paired struct {
	Common int `json:"common"` // items both have
	RefOK  int `json:"ref_ok"` // ok in the reference, of Common
	OK     int `json:"ok"`     // ok in this variant, of Common
	// Diff is this variant's accuracy minus the reference's over Common (a proportion;
	// ×100 for points), with Newcombe's interval.
	Diff   float64 `json:"diff"`
	DiffLo float64 `json:"diff_lo"`
	DiffHi float64 `json:"diff_hi"`
	Lost   int     `json:"lost"`   // ok in the reference, wrong here
	Gained int     `json:"gained"` // wrong in the reference, ok here
	// P is the two-sided exact McNemar p-value.
	P           float64 `json:"p"`
	Significant bool    `json:"significant"` // P < alpha
	Verdict     string  `json:"verdict"`     // VerdictSame, VerdictLower, VerdictHigher or VerdictTooFew
	// MDD is the smallest difference (a proportion) detectable at alpha with the
	// comparison's power, from Common and the observed discordance.
	MDD float64 `json:"mdd"`
	// Test is TestSignFlip when the pairs are per-item pass rates of repeated
	// samples (paired.go: Diff, its bootstrap interval, P and MDD are then of those
	// rates, OK and RefOK count right samples); empty: exact McNemar.
	Test string `json:"test,omitempty"`
}

func newPaired(t stats.Table2x2, alpha, power float64) *Paired {
	n := t.N()
	p := &Paired{
		Common: n,
		RefOK:  t.Both + t.Lost,
		OK:     t.Both + t.Gained,
		Diff:   t.Diff(),
		Lost:   t.Lost,
		Gained: t.Gained,
		P:      stats.McNemarExact(t.Lost, t.Gained),
	}
	ci := stats.Newcombe(t, Confidence)
	p.DiffLo, p.DiffHi = ci.Lo, ci.Hi
	psi := 0.0
	if n > 0 {
		psi = float64(t.Lost+t.Gained) / float64(n)
	}
	p.MDD = stats.MDD(n, psi, alpha, power)
	p.Significant = p.P < alpha && n >= MinCommon
	switch {
	case n < MinCommon:
		p.Verdict = VerdictTooFew
	case !p.Significant:
		p.Verdict = VerdictSame
	case t.Gained > t.Lost:
		p.Verdict = VerdictHigher
	default:
		p.Verdict = VerdictLower
	}
	return p
}

// VsRef is the full comparison of a variant with the reference.
type VsRef struct {
	Paired
	LostIDs   []string `json:"lost_ids"`
	GainedIDs []string `json:"gained_ids"`
	// Agreement is the share of the common items answered without an error on
	// either side on which both extracted the same answer. An item that errored on
	// either side is left out of the count (an error is no answer to agree with),
	// and two empty extractions (no answer found in either output) are not an
	// agreement; 0 when no common item is free of errors.
	Agreement float64 `json:"agreement"`
	// Consistency is how far the outputs themselves drift from the reference's
	// (identical outputs, common prefix, first divergence and, with the runs'
	// log-probabilities, KL divergence and top-1 agreement); nil when no item could
	// be compared. Further comparisons of outputs belong beside it as pointer fields
	// with omitempty, rendered only when non-nil.
	Consistency *consistency.Metrics `json:"consistency,omitempty"`
}

// Variant is one result file's figures.
type Variant struct {
	Label     string `json:"label"`
	Model     string `json:"model"`
	File      string `json:"file"`
	Reference bool   `json:"reference"`
	Complete  bool   `json:"complete"`
	Score     Score  `json:"score"`
	// Metrics are the secondary metrics, in Comparison.Metrics order.
	Metrics []MetricScore `json:"metrics,omitempty"`
	// VsRef is nil for the reference.
	VsRef *VsRef `json:"vs_ref,omitempty"`
	// What often explains a difference in accuracy.
	Errors               int            `json:"errors"`
	LengthLimited        int            `json:"length_limited"` // finish_reason "length"
	FinishReasons        map[string]int `json:"finish_reasons"`
	MeanCompletionTokens float64        `json:"mean_completion_tokens"`
	MedianLatencyMS      float64        `json:"median_latency_ms"`
	// CategoryMacro is the mean of the per-category accuracies (nil: no categories).
	CategoryMacro *float64      `json:"category_macro_accuracy,omitempty"`
	Params        result.Params `json:"params"`
	// Repeated holds avg@n, pass@k and maj@n of a result with repeated samples
	// (paired.go); nil with one sample per item.
	Repeated *Repeated `json:"repeated,omitempty"`
	// Thinking is how the variant reasoned (truncated thinking, mean reasoning and
	// answer lengths); nil when no reply reasoned.
	Thinking *Thinking `json:"thinking,omitempty"`
}

// MetricScore is one secondary metric of a variant.
type MetricScore struct {
	Name  string  `json:"name"`
	Score Score   `json:"score"`
	VsRef *Paired `json:"vs_ref,omitempty"`
}

// Slice is the accuracy table for one type or category.
type Slice struct {
	Key  string     `json:"key"`
	Rows []SliceRow `json:"variants"` // one per variant, in Comparison.Variants order
}

// SliceRow is a variant's figures in a slice.
type SliceRow struct {
	Label string  `json:"label"`
	Score Score   `json:"score"`
	VsRef *Paired `json:"vs_ref,omitempty"`
}

// Item is one row of the item-by-item grid.
type Item struct {
	ID       string
	Type     string
	Category string
	Prompt   string
	Expected string
	// Flip is true when some variant's ok differs from the reference's.
	Flip  bool
	Cells []Cell // one per variant
}

// Cell is one variant's answer to an item.
type Cell struct {
	Present      bool
	OK           bool
	Flip         bool // differs from the reference
	Output       string
	Extracted    string
	Reason       string
	Error        string
	FinishReason string
	// Consistency is the item's comparison with the reference's output; nil for the
	// reference and for items not compared.
	Consistency *consistency.ItemMetrics
}
