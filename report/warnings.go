package report

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"

	"github.com/quanteval/quanteval/result"
)

// warnings lists what makes the variants less comparable, reference first.
func warnings(c *Comparison, inputs []Input, byID []map[string]*result.Record, ref int) []string {
	var out []string
	refV := c.Variants[ref]
	for i, in := range inputs {
		v := c.Variants[i]
		f := in.File
		if !f.Complete {
			out = append(out, fmt.Sprintf("%s: the run is incomplete (%d items of %d)", v.Label, len(f.Items), f.Evalset.Count))
		}
		for _, w := range f.Warnings { // what the run itself noticed (damaged journal lines)
			out = append(out, fmt.Sprintf("%s: %s", v.Label, w))
		}
		if v.Errors > 0 {
			out = append(out, fmt.Sprintf("%s: %d %s failed with an error and count as wrong", v.Label, v.Errors, plural(v.Errors, "item", "items")))
		}
		if f.Evalset.Name != inputs[ref].File.Evalset.Name {
			out = append(out, fmt.Sprintf("%s: eval set named %q, reference %s has %q (same sha256)", v.Label, f.Evalset.Name, refV.Label, inputs[ref].File.Evalset.Name))
		}
		if i == ref {
			continue
		}
		out = append(out, paramDiffs(v.Label, refV.Label, f.Params, inputs[ref].File.Params)...)
		missing := 0
		for id := range byID[ref] {
			if byID[i][id] == nil {
				missing++
			}
		}
		extra := len(f.Items) - v.VsRef.Common
		if missing > 0 || extra > 0 {
			out = append(out, fmt.Sprintf("%s: %d of the reference's %d items missing, %d not in the reference; compared over the %d both have",
				v.Label, missing, len(byID[ref]), extra, v.VsRef.Common))
		}
	}
	return out
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// paramDiffs names each generation parameter that differs from the reference's.
func paramDiffs(label, refLabel string, p, r result.Params) []string {
	var out []string
	diff := func(name, got, want string) {
		if got != want {
			out = append(out, fmt.Sprintf("%s: %s %s, reference %s has %s", label, name, got, refLabel, want))
		}
	}
	diff("temperature", fmtFloat(p.Temperature), fmtFloat(r.Temperature))
	diff("max_tokens", strconv.Itoa(p.MaxTokens), strconv.Itoa(r.MaxTokens))
	diff("system message", strconv.Quote(p.System), strconv.Quote(r.System))
	diff("extra_body", compactJSON(p.ExtraBody), compactJSON(r.ExtraBody))
	diff("seed", fmtSeed(p.Seed), fmtSeed(r.Seed))
	diff("limit", limitString(p.Limit), limitString(r.Limit))
	diff("top_p", sampleFloat(p.TopP), sampleFloat(r.TopP))
	diff("top_k", sampleInt(p.TopK), sampleInt(r.TopK))
	diff("min_p", sampleFloat(p.MinP), sampleFloat(r.MinP))
	diff("presence_penalty", sampleFloat(p.PresencePenalty), sampleFloat(r.PresencePenalty))
	diff("stream", strconv.FormatBool(p.Stream), strconv.FormatBool(r.Stream))
	return out
}

func fmtFloat(x float64) string { return strconv.FormatFloat(x, 'g', -1, 64) }

func fmtSeed(s *int64) string {
	if s == nil {
		return "none"
	}
	return strconv.FormatInt(*s, 10)
}

func limitString(n int) string {
	if n == 0 {
		return "none"
	}
	return strconv.Itoa(n)
}

func compactJSON(raw json.RawMessage) string {
	if len(bytes.TrimSpace(raw)) == 0 || string(bytes.TrimSpace(raw)) == "null" {
		return "none"
	}
	// Re-encode through a value so that key order and spacing do not count.
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		return string(raw)
	}
	b, err := json.Marshal(v)
	if err != nil {
		return string(raw)
	}
	if string(b) == "{}" {
		return "none"
	}
	return string(b)
}
