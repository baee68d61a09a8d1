package task

import (
	"errors"
	"fmt"
	"hash/fnv"
	"math/rand/v2"
	"slices"
	"sort"
	"strconv"
	"strings"
	"text/template"
	"text/template/parse"

	"github.com/quanteval/quanteval/evalset"
)

// Options say how to build items. Zero values are the spec's.
type Options struct {
	Split   string // the name of the rows' split, for the `split` function; default the spec's
	Fewshot *int   // the number of few-shot examples; nil: the spec's fewshot.k
	Shots   []Row  // the rows of the few-shot split, when there are examples
}

// ColumnError is a spec that refers to a column the data does not have.
type ColumnError struct {
	Spec    string
	Missing []string
	Have    []string
	// Key and Line are where the first missing column is read: a template's key
	// ("prompt") and the line of its value; "" and 0 when it is not a template's.
	Key  string
	Line int
}

func (e *ColumnError) Error() string {
	where := e.Spec
	if e.Line > 0 {
		where += ":" + strconv.Itoa(e.Line)
	}
	if e.Key != "" {
		where += ": " + e.Key
	}
	return fmt.Sprintf("%s: no column %s in the data; its columns are: %s",
		where, strings.Join(quote(e.Missing), ", "), strings.Join(e.Have, ", "))
}

func quote(s []string) []string {
	out := make([]string, len(s))
	for i, x := range s {
		out[i] = strconv.Quote(x)
	}
	return out
}

// Columns lists the columns sp refers to (a struct field as its column), sorted.
func (sp *Spec) Columns() []string {
	set := map[string]bool{}
	for _, t := range sp.templates() {
		walk(t.Tree.Root, set)
	}
	if c := sp.Choices; c != nil {
		for _, col := range append([]string{c.Column, c.Labels}, c.Columns...) {
			if col != "" {
				set[col] = true
			}
		}
	}
	if sp.Fewshot.Match != "" {
		set[sp.Fewshot.Match] = true
	}
	for _, c := range checkColumns(sp) {
		set[c] = true
	}
	out := make([]string, 0, len(set))
	for c := range set {
		if head, _, found := strings.Cut(c, "."); found {
			c = head
		}
		if !slices.Contains(out, c) {
			out = append(out, c)
		}
	}
	sort.Strings(out)
	return out
}

func (sp *Spec) templates() []*template.Template {
	var out []*template.Template
	for _, t := range []*template.Template{sp.ID, sp.Prompt, sp.System, sp.Answer, sp.Category, sp.Filter, sp.Fewshot.Reply} {
		if t != nil && t.Tree != nil {
			out = append(out, t)
		}
	}
	return out
}

// readBy returns the key of the first template that reads column c, and the line
// of its value; "" when no template does (a choices or check column).
func (sp *Spec) readBy(c string) (string, int) {
	for _, t := range sp.templates() {
		set := map[string]bool{}
		walk(t.Tree.Root, set)
		for col := range set {
			if head, _, _ := strings.Cut(col, "."); head == c {
				return t.Name(), sp.Lines[t.Name()]
			}
		}
	}
	return "", 0
}

// walk collects the columns a template reads: `.name` outside range and with
// bodies (where dot is something else), and the literal argument of col and
// index_by.
func walk(n parse.Node, set map[string]bool) {
	switch n := n.(type) {
	case *parse.ListNode:
		if n != nil {
			for _, c := range n.Nodes {
				walk(c, set)
			}
		}
	case *parse.ActionNode:
		walk(n.Pipe, set)
	case *parse.IfNode:
		walk(n.Pipe, set)
		walk(n.List, set)
		walk(n.ElseList, set)
	case *parse.RangeNode:
		walk(n.Pipe, set)
	case *parse.WithNode:
		walk(n.Pipe, set)
	case *parse.PipeNode:
		if n != nil {
			for _, c := range n.Cmds {
				walk(c, set)
			}
		}
	case *parse.CommandNode:
		if id, ok := n.Args[0].(*parse.IdentifierNode); ok && (id.Ident == "col" || id.Ident == "index_by") && len(n.Args) > 1 {
			if s, ok := n.Args[1].(*parse.StringNode); ok {
				set[s.Text] = true
			}
		}
		for _, a := range n.Args {
			walk(a, set)
		}
	case *parse.FieldNode:
		set[n.Ident[0]] = true
	}
}

// CheckColumns says whether data with these columns has every column sp refers to.
func (sp *Spec) CheckColumns(have []string) error {
	var missing []string
	for _, c := range sp.Columns() {
		if !slices.Contains(have, c) {
			missing = append(missing, c)
		}
	}
	if len(missing) == 0 {
		return nil
	}
	sorted := slices.Clone(have)
	sort.Strings(sorted)
	key, line := sp.readBy(missing[0])
	if strings.HasPrefix(sp.File, "builtin:") {
		line = 0 // a line of an embedded file the user cannot open
	}
	return &ColumnError{Spec: sp.File, Missing: missing, Have: sorted, Key: key, Line: line}
}

// columnsOf lists the columns of the first row.
func columnsOf(rows []Row) []string {
	if len(rows) == 0 {
		return nil
	}
	out := make([]string, 0, len(rows[0]))
	for k := range rows[0] {
		out = append(out, k)
	}
	return out
}

// Build turns rows into items, in row order.
func Build(sp *Spec, rows []Row, opt Options) ([]Item, error) {
	if len(rows) == 0 {
		return nil, fmt.Errorf("task %s: no rows", sp.Name)
	}
	if err := sp.CheckColumns(columnsOf(rows)); err != nil {
		return nil, err
	}
	split := opt.Split
	if split == "" {
		split = sp.Source.Split
	}
	k := sp.Fewshot.K
	if opt.Fewshot != nil {
		k = *opt.Fewshot
	}
	if k > 0 && sp.Fewshot.Reply == nil {
		return nil, fmt.Errorf("task %s: %d few-shot examples asked, but the spec has no fewshot.reply", sp.Name, k)
	}
	main := newRenderer(sp, rows, split)
	var shots *shotSource
	if k > 0 {
		if len(opt.Shots) == 0 {
			return nil, fmt.Errorf("task %s: %d few-shot examples asked, but the %s split has no rows", sp.Name, k, sp.Fewshot.Split)
		}
		if err := sp.CheckColumns(columnsOf(opt.Shots)); err != nil {
			return nil, fmt.Errorf("few-shot split %s: %w", sp.Fewshot.Split, err)
		}
		shots = &shotSource{r: newRenderer(sp, opt.Shots, sp.Fewshot.Split), k: k, cache: map[string][]evalset.Message{}}
	}
	items := make([]Item, 0, len(rows))
	for i := range rows {
		if keep, err := main.keep(i); err != nil || !keep {
			if err != nil {
				return nil, fmt.Errorf("task %s: %s row %d: %w", sp.Name, split, i, err)
			}
			continue
		}
		it, err := main.item(i)
		if err != nil {
			return nil, fmt.Errorf("task %s: %s row %d: %w", sp.Name, split, i, err)
		}
		user := evalset.Message{Role: "user", Content: it.Prompt}
		it.Prompt = ""
		if shots != nil {
			prefix, err := shots.turns(rows[i])
			if err != nil {
				return nil, fmt.Errorf("task %s: %s row %d: %w", sp.Name, split, i, err)
			}
			it.Messages = append(slices.Clone(prefix), user)
		} else {
			it.Messages = []evalset.Message{user}
		}
		items = append(items, it)
	}
	if len(items) == 0 {
		return nil, fmt.Errorf("task %s: the filter keeps none of the %d rows", sp.Name, len(rows))
	}
	if err := uniqueIDs(items); err != nil {
		return nil, fmt.Errorf("task %s: %w", sp.Name, err)
	}
	return items, nil
}

func uniqueIDs(items []Item) error {
	seen := map[string]int{}
	for i, it := range items {
		if j, dup := seen[it.ID]; dup {
			return fmt.Errorf("rows %d and %d have the same id %q", j, i, it.ID)
		}
		seen[it.ID] = i
	}
	return nil
}

// shotSource gives the few-shot turns of an item, built once per match value.
type shotSource struct {
	r     *renderer
	k     int
	cache map[string][]evalset.Message
}

func (s *shotSource) turns(row Row) ([]evalset.Message, error) {
	match := s.r.sp.Fewshot.Match
	key := ""
	if match != "" {
		v, err := lookup(row, match)
		if err != nil {
			return nil, err
		}
		key = fmt.Sprint(v)
	}
	if turns, ok := s.cache[key]; ok {
		return turns, nil
	}
	var turns []evalset.Message
	n := 0
	for j, shot := range s.r.rows {
		if n == s.k {
			break
		}
		if keep, err := s.r.keep(j); err != nil || !keep {
			if err != nil {
				return nil, fmt.Errorf("few-shot %s row %d: %w", s.r.split, j, err)
			}
			continue
		}
		if match != "" {
			if v, _ := lookup(shot, match); fmt.Sprint(v) != key {
				continue
			}
		}
		it, err := s.r.item(j)
		if err != nil {
			return nil, fmt.Errorf("few-shot %s row %d: %w", s.r.split, j, err)
		}
		reply, err := s.r.exec(s.r.sp.Fewshot.Reply, j)
		if err != nil {
			return nil, fmt.Errorf("few-shot %s row %d: %w", s.r.split, j, err)
		}
		turns = append(turns, evalset.Message{Role: "user", Content: it.Prompt}, evalset.Message{Role: "assistant", Content: reply})
		n++
	}
	if n < s.k {
		what := "examples"
		if match != "" {
			what = fmt.Sprintf("examples with %s %q", match, key)
		}
		return nil, fmt.Errorf("%d few-shot examples asked, but the %s split has %d %s", s.k, s.r.split, n, what)
	}
	s.cache[key] = turns
	return turns, nil
}

var errNoTemplate = errors.New("no template")

// renderer renders the rows of one split.
type renderer struct {
	sp     *Spec
	rows   []Row
	split  string
	st     *state
	tmpl   map[*template.Template]*template.Template // the spec's template -> its clone bound to st
	groups map[string][]int
}

func newRenderer(sp *Spec, rows []Row, split string) *renderer {
	r := &renderer{sp: sp, rows: rows, split: split, tmpl: map[*template.Template]*template.Template{}, groups: map[string][]int{}}
	r.st = &state{split: split, correct: -1, groups: r.group}
	for _, t := range sp.templates() {
		c := template.Must(t.Clone())
		r.tmpl[t] = c.Funcs(funcs(r.st))
	}
	return r
}

// group gives each row its index among the earlier rows with the same value of col.
func (r *renderer) group(col string) ([]int, error) {
	if g, ok := r.groups[col]; ok {
		return g, nil
	}
	g := make([]int, len(r.rows))
	count := map[string]int{}
	for i, row := range r.rows {
		v, err := lookup(row, col)
		if err != nil {
			return nil, fmt.Errorf("index_by: %w", err)
		}
		key := fmt.Sprint(v)
		g[i] = count[key]
		count[key]++
	}
	r.groups[col] = g
	return g, nil
}

func (r *renderer) exec(t *template.Template, i int) (string, error) {
	if t == nil {
		return "", errNoTemplate
	}
	r.st.row, r.st.index = r.rows[i], i
	var b strings.Builder
	if err := r.tmpl[t].Execute(&b, r.rows[i]); err != nil {
		return "", fmt.Errorf("%s: %w", t.Name(), err)
	}
	if strings.Contains(b.String(), "<no value>") {
		return "", fmt.Errorf("%s: printed <no value>: a column it reads is null in this row", t.Name())
	}
	return b.String(), nil
}

// keep says whether the filter keeps row i.
func (r *renderer) keep(i int) (bool, error) {
	if r.sp.Filter == nil {
		return true, nil
	}
	out, err := r.exec(r.sp.Filter, i)
	switch strings.TrimSpace(out) {
	case "true":
		return true, err
	case "false":
		return false, err
	}
	if err == nil {
		err = fmt.Errorf("filter: rendered %q, want true or false", out)
	}
	return false, err
}

// item renders row i; the prompt is left in Item.Prompt for Build to place.
func (r *renderer) item(i int) (Item, error) {
	sp := r.sp
	r.st.options, r.st.correct = nil, -1
	var it Item
	var err error
	if it.ID, err = r.exec(sp.ID, i); err != nil {
		return it, err
	}
	if strings.TrimSpace(it.ID) == "" {
		return it, errors.New("id: empty")
	}
	answer, err := r.exec(sp.Answer, i)
	if err != nil {
		return it, err
	}
	if sp.Choices != nil {
		if err := r.options(&it, answer); err != nil {
			return it, err
		}
		answer = letter(r.st.correct)
	}
	it.Type = sp.Scorer
	if it.Answer, err = convertAnswer(sp.Scorer, answer); err != nil {
		return it, err
	}
	it.Tolerance = sp.Tolerance
	if it.Check, err = check(sp, r.rows[i]); err != nil {
		return it, err
	}
	if it.Prompt, err = r.exec(sp.Prompt, i); err != nil {
		return it, err
	}
	if strings.TrimSpace(it.Prompt) == "" {
		return it, errors.New("prompt: empty")
	}
	if sp.Category != nil {
		if it.Category, err = r.exec(sp.Category, i); err != nil {
			return it, err
		}
	}
	if sp.System != nil {
		if it.System, err = r.exec(sp.System, i); err != nil {
			return it, err
		}
	}
	return it, nil
}

// options reads the row's options, shuffles them when asked, and finds the correct
// one from the answer text.
func (r *renderer) options(it *Item, answer string) error {
	c, row := r.sp.Choices, r.rows[r.st.index]
	var opts []string
	if c.Column != "" {
		v, err := lookup(row, c.Column)
		if err != nil {
			return fmt.Errorf("choices: %w", err)
		}
		var ok bool
		if opts, ok = asStrings(v); !ok {
			return fmt.Errorf("choices: column %q is %T, not a list of strings", c.Column, v)
		}
	} else {
		for _, col := range c.Columns {
			v, err := lookup(row, col)
			if err != nil {
				return fmt.Errorf("choices: %w", err)
			}
			s, ok := v.(string)
			if !ok {
				return fmt.Errorf("choices: column %q is %T, not a string", col, v)
			}
			opts = append(opts, s)
		}
	}
	if len(opts) < 2 || len(opts) > 26 {
		return fmt.Errorf("choices: %d options, want 2 to 26", len(opts))
	}
	correct, err := r.correctIndex(answer, opts, row)
	if err != nil {
		return err
	}
	it.Options = opts
	if c.Shuffle {
		it.Order = permutation(c.Seed, it.ID, len(opts))
		it.Options = make([]string, len(opts))
		for j, src := range it.Order {
			it.Options[j] = opts[src]
			if src == correct {
				r.st.correct = j
			}
		}
	} else {
		r.st.correct = correct
	}
	r.st.options = it.Options
	return nil
}

// correctIndex reads the answer text as one of the labels (when the spec has a
// labels column), else as a 0-based index, else as a letter.
func (r *renderer) correctIndex(answer string, opts []string, row Row) (int, error) {
	a := strings.TrimSpace(answer)
	if col := r.sp.Choices.Labels; col != "" {
		v, err := lookup(row, col)
		if err != nil {
			return 0, fmt.Errorf("choices.labels: %w", err)
		}
		labels, ok := asStrings(v)
		if !ok || len(labels) != len(opts) {
			return 0, fmt.Errorf("choices.labels: column %q has %v, want one label per option (%d)", col, v, len(opts))
		}
		if i := slices.Index(labels, a); i >= 0 {
			return i, nil
		}
		return 0, fmt.Errorf("answer: %q is none of the labels %s", a, strings.Join(labels, ", "))
	}
	if i, err := strconv.Atoi(a); err == nil {
		if i < 0 || i >= len(opts) {
			return 0, fmt.Errorf("answer: %d is not an option index (0-%d)", i, len(opts)-1)
		}
		return i, nil
	}
	if len(a) == 1 && a[0] >= 'A' && int(a[0]-'A') < len(opts) {
		return int(a[0] - 'A'), nil
	}
	return 0, fmt.Errorf("answer: %q is neither an option index (0-%d) nor a letter (A-%s)", a, len(opts)-1, letter(len(opts)-1))
}

// permutation is item id's order of n options: PCG(seed, FNV-64a(id)), Fisher-Yates
// from the last position down.
func permutation(seed uint64, id string, n int) []int {
	h := fnv.New64a()
	h.Write([]byte(id))
	// PCG's output is fixed by its algorithm; the modulo (its bias is below 2^-58 for
	// 26 options) keeps the draw ours rather than the library's.
	pcg := rand.NewPCG(seed, h.Sum64())
	p := make([]int, n)
	for i := range p {
		p[i] = i
	}
	for i := n - 1; i > 0; i-- {
		j := int(pcg.Uint64() % uint64(i+1))
		p[i], p[j] = p[j], p[i]
	}
	return p
}

// convertAnswer turns the answer text into the item's answer for its scorer.
func convertAnswer(scorer, text string) (any, error) {
	t := strings.TrimSpace(text)
	if t == "" {
		return nil, errors.New("answer: empty")
	}
	switch scorer {
	case evalset.TypeNumber, evalset.TypeGSM8K:
		f, err := strconv.ParseFloat(strings.ReplaceAll(t, ",", ""), 64)
		if err != nil {
			return nil, fmt.Errorf("answer: %q is not a number", t)
		}
		return f, nil
	case evalset.TypeContains:
		return []string{t}, nil
	}
	return t, nil
}
