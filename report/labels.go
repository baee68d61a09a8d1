package report

import (
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/quanteval/quanteval/result"
)

// FormatExpected renders an item's expected answer for people: numbers without
// exponent, strings as they are, lists joined with " | ".
func FormatExpected(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	case []any:
		parts := make([]string, len(x))
		for i, e := range x {
			parts[i] = FormatExpected(e)
		}
		return strings.Join(parts, " | ")
	case []string:
		return strings.Join(x, " | ")
	}
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}

func metricNames(inputs []Input) []string {
	seen := map[string]bool{}
	for _, in := range inputs {
		for _, r := range in.File.Items {
			for name := range r.Scores {
				seen[name] = true
			}
		}
	}
	return result.SortedKeys(seen)
}

// makeLabels returns the given labels or short model names, made unique.
func makeLabels(inputs []Input, given []string) ([]string, error) {
	if len(given) > 0 {
		if len(given) != len(inputs) {
			return nil, fmt.Errorf("%d labels for %d result files", len(given), len(inputs))
		}
		seen := map[string]bool{}
		for _, l := range given {
			if l == "" {
				return nil, errors.New("empty label")
			}
			if seen[l] {
				return nil, fmt.Errorf("label %q given twice", l)
			}
			seen[l] = true
		}
		return given, nil
	}
	labels := make([]string, len(inputs))
	count := map[string]int{}
	for i, in := range inputs {
		labels[i] = ShortModel(in.File.Model)
		if labels[i] == "" {
			labels[i] = strings.TrimSuffix(filepath.Base(in.Path), filepath.Ext(in.Path))
		}
		count[labels[i]]++
	}
	// The same model twice (e.g. two runs) is told apart by file name, then by index.
	seen := map[string]bool{}
	for i, in := range inputs {
		if count[labels[i]] > 1 {
			labels[i] = strings.TrimSuffix(filepath.Base(in.Path), filepath.Ext(in.Path))
		}
		for base, k := labels[i], 2; seen[labels[i]]; k++ {
			labels[i] = fmt.Sprintf("%s#%d", base, k)
		}
		seen[labels[i]] = true
	}
	return labels, nil
}

// ShortModel is the last path element of a model name: "RedHatAI/Qwen3-32B-NVFP4"
// becomes "Qwen3-32B-NVFP4".
func ShortModel(model string) string {
	model = strings.TrimRight(model, "/")
	if i := strings.LastIndex(model, "/"); i >= 0 {
		return model[i+1:]
	}
	return model
}

func sameEvalset(inputs []Input, ref int) error {
	rf := inputs[ref]
	for i, in := range inputs {
		if i == ref {
			continue
		}
		if in.File.Evalset.SHA256 != rf.File.Evalset.SHA256 {
			return fmt.Errorf("results over different eval sets: %s has %s (sha256 %s), %s has %s (sha256 %s)",
				in.Path, in.File.Evalset.Name, short(in.File.Evalset.SHA256),
				rf.Path, rf.File.Evalset.Name, short(rf.File.Evalset.SHA256))
		}
	}
	return nil
}

func short(sha string) string {
	if len(sha) > 12 {
		return sha[:12]
	}
	if sha == "" {
		return "none"
	}
	return sha
}
