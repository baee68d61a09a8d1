package task

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"text/template"

	"github.com/quanteval/quanteval/internal/yamltree"
	"go.yaml.in/yaml/v3"

	"github.com/quanteval/quanteval/evalset"
	"github.com/quanteval/quanteval/score"
)

// Error is one problem in a spec, at a line and a key (a path such as source.split;
// "" for the whole file).
type Error = yamltree.Error

// Scorers a spec may name.
var Scorers = slices.Clone(evalset.Types)

var (
	topKeys      = []string{"name", "source", "id", "prompt", "system", "answer", "category", "filter", "scorer", "fewshot", "choices", "defaults"}
	sourceKeys   = []string{"hub", "config", "split", "revision", "file", "rows"}
	scorerKeys   = []string{"name", "tolerance", "kind"}
	fewshotKeys  = []string{"split", "k", "match", "reply"}
	choicesKeys  = []string{"column", "columns", "labels", "shuffle", "seed"}
	defaultsKeys = []string{"max_tokens", "temperature", "top_p", "top_k", "min_p", "presence_penalty", "repeats"}
)

// ParseFile reads a spec from a file; a source file is resolved against its folder.
func ParseFile(path string) (*Spec, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("task: %w", err)
	}
	sp, err := Parse(path, data)
	if err != nil {
		return nil, err
	}
	if sp.Source.File != "" && !filepath.IsAbs(sp.Source.File) {
		sp.Source.File = filepath.Join(filepath.Dir(path), sp.Source.File)
	}
	return sp, nil
}

// Parse reads and checks a spec; file names it in errors. The error joins one
// *Error per problem found.
func Parse(file string, data []byte) (*Spec, error) {
	d := &decoder{yamltree.Decoder{File: file}}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, &Error{File: file, Err: err}
	}
	if doc.Kind != yaml.DocumentNode || len(doc.Content) == 0 {
		return nil, &Error{File: file, Err: errors.New("empty spec")}
	}
	sp := &Spec{File: file, Text: map[string]string{}, Lines: map[string]int{}}
	root := yamltree.Resolve(doc.Content[0])
	seen := map[string]bool{}
	ok := d.Fields(root, "", topKeys, func(k string, _, v *yaml.Node) {
		seen[k] = true
		switch k {
		case "name":
			sp.Name = d.Str(v, k)
		case "source":
			d.source(sp, v)
		case "id":
			sp.ID = d.tmpl(sp, v, k)
		case "prompt":
			sp.Prompt = d.tmpl(sp, v, k)
		case "system":
			sp.System = d.tmpl(sp, v, k)
		case "answer":
			sp.Answer = d.tmpl(sp, v, k)
		case "category":
			sp.Category = d.tmpl(sp, v, k)
		case "filter":
			sp.Filter = d.tmpl(sp, v, k)
		case "scorer":
			d.scorer(sp, v)
		case "fewshot":
			d.fewshot(sp, v)
		case "choices":
			d.choices(sp, v)
		case "defaults":
			d.defaults(sp, v)
		}
	})
	if !ok {
		return nil, errors.Join(d.Errs...)
	}
	for _, k := range []string{"name", "source", "id", "prompt", "answer", "scorer"} {
		if !seen[k] {
			d.Fail(root, k, "missing")
		}
	}
	if sp.Source.Split == "" {
		sp.Source.Split = "test"
	}
	if sp.Scorer == evalset.TypeChoice && sp.Choices == nil {
		d.Fail(root, "choices", "missing: scorer choice needs the options")
	}
	if sp.Fewshot.K > 0 && sp.Fewshot.Reply == nil {
		d.Fail(root, "fewshot.reply", "missing: fewshot k %d needs the examples' answer turn", sp.Fewshot.K)
	}
	if len(d.Errs) > 0 {
		return nil, errors.Join(d.Errs...)
	}
	return sp, nil
}

func (d *decoder) source(sp *Spec, n *yaml.Node) {
	d.Fields(n, "source", sourceKeys, func(k string, _, v *yaml.Node) {
		if k == "rows" {
			sp.Source.Rows = d.Integer(v, "source.rows", 1)
			return
		}
		s := d.Str(v, "source."+k)
		switch k {
		case "hub":
			if strings.Count(s, "/") != 1 || strings.HasPrefix(s, "/") || strings.HasSuffix(s, "/") {
				d.Fail(v, "source.hub", "%q is not a hub repo (want ORG/NAME)", s)
			}
			sp.Source.Hub = s
		case "config":
			sp.Source.Config = s
		case "split":
			sp.Source.Split = s
		case "revision":
			sp.Source.Revision = s
		case "file":
			if !strings.HasSuffix(s, ".parquet") && !strings.HasSuffix(s, ".jsonl") {
				d.Fail(v, "source.file", "%q: want a .parquet or .jsonl file", s)
			}
			sp.Source.File = s
		}
	})
	if (sp.Source.Hub == "") == (sp.Source.File == "") {
		d.Fail(n, "source", "give either hub or file")
	}
	if sp.Source.File != "" && (sp.Source.Config != "" || sp.Source.Revision != "") {
		d.Fail(n, "source", "config and revision are for a hub repo, not a file")
	}
}

func (d *decoder) scorer(sp *Spec, n *yaml.Node) {
	if n.Kind == yaml.ScalarNode {
		sp.Scorer = d.Str(n, "scorer")
	} else {
		d.Fields(n, "scorer", scorerKeys, func(k string, _, v *yaml.Node) {
			switch k {
			case "name":
				sp.Scorer = d.Str(v, "scorer.name")
			case "tolerance":
				t := d.Float(v, "scorer.tolerance")
				if t < 0 {
					d.Fail(v, "scorer.tolerance", "negative")
				}
				sp.Tolerance = &t
			case "kind":
				sp.Kind = d.Str(v, "scorer.kind")
			}
		})
	}
	if sp.Scorer != "" && !slices.Contains(Scorers, sp.Scorer) {
		d.Fail(n, "scorer", "unknown scorer %q (want one of %s)", sp.Scorer, strings.Join(Scorers, ", "))
	}
	if sp.Tolerance != nil && sp.Scorer != evalset.TypeNumber && sp.Scorer != evalset.TypeGSM8K {
		d.Fail(n, "scorer.tolerance", "only for number and gsm8k")
	}
	switch {
	case sp.Scorer == score.TypeCode && !slices.Contains(CodeKinds, sp.Kind):
		d.Fail(n, "scorer.kind", "scorer code needs kind %s, not %q", strings.Join(CodeKinds, " or "), sp.Kind)
	case sp.Scorer != score.TypeCode && sp.Kind != "":
		d.Fail(n, "scorer.kind", "only for scorer code")
	}
}

func (d *decoder) fewshot(sp *Spec, n *yaml.Node) {
	d.Fields(n, "fewshot", fewshotKeys, func(k string, _, v *yaml.Node) {
		key := "fewshot." + k
		switch k {
		case "split":
			sp.Fewshot.Split = d.Str(v, key)
		case "k":
			sp.Fewshot.K = d.Integer(v, key, 0)
		case "match":
			sp.Fewshot.Match = d.Str(v, key)
		case "reply":
			sp.Fewshot.Reply = d.tmpl(sp, v, key)
		}
	})
	if sp.Fewshot.Split == "" {
		d.Fail(n, "fewshot.split", "missing")
	}
}

func (d *decoder) choices(sp *Spec, n *yaml.Node) {
	c := &Choices{}
	d.Fields(n, "choices", choicesKeys, func(k string, _, v *yaml.Node) {
		key := "choices." + k
		switch k {
		case "column":
			c.Column = d.Str(v, key)
		case "columns":
			c.Columns = d.Words(v, key)
			if len(c.Columns) < 2 {
				d.Fail(v, key, "want at least two columns")
			}
		case "labels":
			c.Labels = d.Str(v, key)
		case "shuffle":
			c.Shuffle = d.Boolean(v, key)
		case "seed":
			c.Seed = uint64(d.Integer(v, key, 0))
		}
	})
	if (c.Column == "") == (len(c.Columns) == 0) {
		d.Fail(n, "choices", "give either column (a list) or columns")
	}
	sp.Choices = c
}

func (d *decoder) defaults(sp *Spec, n *yaml.Node) {
	df := &sp.Defaults
	fl := func(v *yaml.Node, key string, lo, hi float64) *float64 {
		x := d.Float(v, key)
		if x < lo || x > hi {
			d.Fail(v, key, "%g is outside [%g, %g]", x, lo, hi)
		}
		return &x
	}
	d.Fields(n, "defaults", defaultsKeys, func(k string, _, v *yaml.Node) {
		key := "defaults." + k
		switch k {
		case "max_tokens":
			df.MaxTokens = d.Integer(v, key, 1)
		case "temperature":
			df.Temperature = fl(v, key, 0, 2)
		case "top_p":
			df.TopP = fl(v, key, 0, 1)
		case "top_k":
			x := d.Integer(v, key, -1)
			df.TopK = &x
		case "min_p":
			df.MinP = fl(v, key, 0, 1)
		case "presence_penalty":
			df.PresencePenalty = fl(v, key, -2, 2)
		case "repeats":
			df.Repeats = d.Integer(v, key, 1)
		}
	})
}

// tmpl parses a template; the functions are stubs until Build binds them.
func (d *decoder) tmpl(sp *Spec, n *yaml.Node, key string) *template.Template {
	s := d.Str(n, key)
	sp.Text[key] = s
	sp.Lines[key] = n.Line
	t, err := template.New(key).Option("missingkey=error").Funcs(funcs(nil)).Parse(s)
	if err != nil {
		d.Fail(n, key, "bad template: %v", strings.TrimPrefix(err.Error(), "template: "))
		return nil
	}
	return t
}
