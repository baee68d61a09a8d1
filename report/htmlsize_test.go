package report

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/quanteval/quanteval/result"
)

// mmluLike is a synthetic comparison the size of MMLU's test split (14,042 items)
// over four variants, with prompts of 0.4-1.2 KB and outputs of 1-2 KB, every text
// distinct (the worst case for the page: nothing is shared). Every 20th item is a
// flip: the first variant gets it wrong.
func mmluLike(t testing.TB) *Comparison {
	t.Helper()
	const items, variants = 14042, 4
	rng := rand.New(rand.NewPCG(1, 2))
	// All texts are windows on one random text, so that the test holds ~100 MB of
	// distinct outputs in 2 MB of memory.
	const alphabet = "abcdefghijklmnopqrstuvwxyz ABCDEFGHIJKLMNOPQRSTUVWXYZ 0123456789.,\n"
	pool := make([]byte, 2<<20)
	for i := range pool {
		pool[i] = alphabet[rng.IntN(len(alphabet))]
	}
	text := func(lo, hi int) string {
		n := lo + rng.IntN(hi-lo+1)
		at := rng.IntN(len(pool) - n)
		return string(pool[at : at+n : at+n])
	}
	prompts := make([]string, items)
	for i := range prompts {
		prompts[i] = text(400, 1200)
	}
	var ins []Input
	for v := range variants {
		recs := make([]result.Record, items)
		for i := range recs {
			ok := i%20 != 0 || v != 0
			recs[i] = result.Record{ID: fmt.Sprintf("q%05d", i), Type: "choice", Category: fmt.Sprintf("subject_%02d", i%57),
				Prompt: prompts[i], Expected: "B", Output: text(1000, 2000), Extracted: "B", OK: ok, FinishReason: "stop",
				Usage: result.Usage{CompletionTokens: 400}, LatencyMS: 900}
		}
		f := &result.File{Schema: result.Schema, Complete: true, Model: fmt.Sprintf("org/Model-%d", v),
			Evalset: result.Evalset{Name: "mmlu", SHA256: "abc", Count: items}, Items: recs}
		ins = append(ins, Input{Path: fmt.Sprintf("v%d.json", v), File: f})
	}
	c, err := Build(ins, Options{})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestHTMLSizeBound: the MMLU-sized comparison holds ~100 MB of distinct text; its
// page stays under 20 MB, keeps one grid row per item, embeds the flips' texts whole
// and cuts the others evenly, saying where.
func TestHTMLSizeBound(t *testing.T) {
	c := mmluLike(t)
	var b bytes.Buffer
	if err := c.HTML(&b); err != nil {
		t.Fatal(err)
	}
	page := b.String()
	t.Logf("page %d bytes", len(page))
	if len(page) > 20_000_000 {
		t.Fatalf("page is %d bytes, over the 20 MB bound", len(page))
	}
	if got := strings.Count(page, `<tr class="item"`); got != len(c.Items) {
		t.Errorf("grid rows = %d, want one per item (%d)", got, len(c.Items))
	}
	d := pageData(t, page)
	if len(d.Items) != len(c.Items) {
		t.Fatalf("data block has %d items, want %d", len(d.Items), len(c.Items))
	}
	minKept := -1
	for i, it := range c.Items {
		row := d.Items[i]
		for v, cell := range it.Cells {
			got := d.Texts[row[2+v*cellStride+1]]
			if it.Flip {
				if got != cell.Output {
					t.Fatalf("item %s (a flip), variant %d: output not embedded whole", it.ID, v)
				}
				continue
			}
			cut, ok := got.([]any)
			if !ok {
				t.Fatalf("item %s, variant %d: a 1-2 KB output embedded whole, so the page cannot be bounded", it.ID, v)
			}
			prefix, _ := cut[0].(string)
			if !strings.HasPrefix(cell.Output, prefix) || cut[1] != float64(utf8.RuneCountInString(cell.Output)) {
				t.Fatalf("item %s, variant %d: cut text %q (full %v) is not the output's start", it.ID, v, prefix, cut[1])
			}
			if minKept < 0 || len(prefix) < minKept {
				minKept = len(prefix)
			}
		}
	}
	// Every output keeps its start: here the floor is half the ~14.7 MB left for
	// texts shared by its ~70,000 texts, about 90 bytes.
	if minKept < 64 {
		t.Errorf("shortest kept prefix %d bytes, want at least 64", minKept)
	}
	t.Logf("non-flip outputs keep at least %d bytes", minKept)
}

func TestAllocate(t *testing.T) {
	for _, tc := range []struct {
		name   string
		costs  []int
		prio   []bool
		budget int
		want   []int
	}{
		{"all fit", []int{10, 20, 30}, []bool{false, false, false}, 60, []int{10, 20, 30}},
		{"short texts whole, long ones cut evenly", []int{100, 5000, 9000}, []bool{false, false, false}, 5000,
			[]int{100, 2450, 2450}},
		{"flips first", []int{5000, 5000, 5000}, []bool{true, false, false}, 6000,
			[]int{5000, 500, 500}},
		{"flips first, then the rest evenly", []int{1000, 3000, 900, 5000}, []bool{true, false, false, false}, 4000,
			[]int{1000, 1050, 900, 1050}},
		{"flips cut when they alone overflow", []int{3000, 3000, 3000}, []bool{true, true, false}, 3000,
			[]int{1365, 1365, textFloor + cutOverhead}},
		{"tiny budget: half to the floor, the flip gets the rest", []int{1000, 1000, 50}, []bool{true, false, false}, 300,
			[]int{200, 50, 50}},
		{"budget under the floor: all cut evenly", []int{1000, 1000, 1000, 1000}, []bool{true, true, true, true}, 60,
			[]int{15, 15, 15, 15}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := allocate(tc.costs, tc.prio, tc.budget)
			sum := 0
			for i, k := range got {
				sum += k
				if k > tc.costs[i] {
					t.Errorf("text %d keeps %d, more than its cost %d", i, k, tc.costs[i])
				}
			}
			if sum > tc.budget {
				t.Errorf("allocated %d bytes, over the budget %d", sum, tc.budget)
			}
			if fmt.Sprint(got) != fmt.Sprint(tc.want) {
				t.Errorf("allocate = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestJSONLen(t *testing.T) {
	for _, s := range []string{"", "plain", `quote " and \ back`, "<script>&</script>", "tab\tnl\ncr\r", "\x00\x1f\x7f", "é中😀", "bad \xff\xfe utf8", "\u2028\u2029"} {
		b, err := (&htmlData{Texts: []any{s}}).marshal()
		if err != nil {
			t.Fatal(err)
		}
		// {"t":[S],"i":null,...}: the string's encoding sits between `[` and `]`.
		enc := strings.TrimPrefix(string(b), `{"t":[`)
		enc = enc[:strings.Index(enc, `],"i"`)]
		if got := jsonLen(s); got < len(enc) {
			t.Errorf("jsonLen(%q) = %d, under the %d bytes of %s", s, got, len(enc), enc)
		}
		for max := 2; max <= len(enc); max++ {
			p := jsonPrefix(s, max)
			if !strings.HasPrefix(s, p) || jsonLen(p) > max {
				t.Fatalf("jsonPrefix(%q, %d) = %q (jsonLen %d)", s, max, p, jsonLen(p))
			}
		}
	}
}

func BenchmarkHTMLMMLUSize(b *testing.B) {
	c := mmluLike(b)
	var buf bytes.Buffer
	for b.Loop() {
		buf.Reset()
		if err := c.HTML(&buf); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(buf.Len()), "page-bytes")
}
