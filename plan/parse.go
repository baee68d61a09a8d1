package plan

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/quanteval/quanteval/eval"
	"github.com/quanteval/quanteval/server"
)

// Error is one problem in a plan, at a line and a key.
type Error struct {
	File string
	Line int
	Key  string // a path such as variants[1].ready_timeout; "" for the whole file
	Err  error
}

func (e *Error) Error() string {
	loc := e.File
	if e.Line > 0 {
		loc += ":" + strconv.Itoa(e.Line)
	}
	if e.Key == "" {
		return fmt.Sprintf("%s: %v", loc, e.Err)
	}
	return fmt.Sprintf("%s: %s: %v", loc, e.Key, e.Err)
}

func (e *Error) Unwrap() error { return e.Err }

// decoder walks the YAML tree, collecting errors instead of stopping at the first.
type decoder struct {
	file string
	errs []error
}

func (d *decoder) fail(n *yaml.Node, key, format string, args ...any) {
	line := 0
	if n != nil {
		line = n.Line
	}
	d.errs = append(d.errs, &Error{File: d.file, Line: line, Key: key, Err: fmt.Errorf(format, args...)})
}

func resolve(n *yaml.Node) *yaml.Node {
	for n != nil && n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	return n
}

// fields calls f for every key of mapping n (named at path key); keys outside known
// are errors.
func (d *decoder) fields(n *yaml.Node, key string, known []string, f func(k string, kn, v *yaml.Node)) bool {
	n = resolve(n)
	if n.Kind != yaml.MappingNode {
		d.fail(n, key, "want a mapping, got %s", describe(n))
		return false
	}
	seen := map[string]int{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		kn, v := n.Content[i], resolve(n.Content[i+1])
		k := kn.Value
		full := join(key, k)
		if k == "<<" {
			d.fail(kn, full, "merge keys are not supported")
			continue
		}
		if at, dup := seen[k]; dup {
			d.fail(kn, full, "given twice (first at line %d)", at)
			continue
		}
		seen[k] = kn.Line
		if !contains(known, k) {
			d.fail(kn, full, "unknown key (known: %s)", strings.Join(known, ", "))
			continue
		}
		f(k, kn, v)
	}
	return true
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func describe(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		if n.ShortTag() == "!!null" {
			return "nothing"
		}
		return fmt.Sprintf("%q", n.Value)
	}
	return "something else"
}

func (d *decoder) str(n *yaml.Node, key string) string {
	if n.Kind != yaml.ScalarNode || n.ShortTag() == "!!null" {
		d.fail(n, key, "want a string, got %s", describe(n))
		return ""
	}
	return n.Value
}

func (d *decoder) integer(n *yaml.Node, key string, min int) int {
	if n.Kind != yaml.ScalarNode || n.ShortTag() != "!!int" {
		d.fail(n, key, "want a whole number, got %s", describe(n))
		return 0
	}
	v, err := strconv.Atoi(n.Value)
	if err != nil {
		var v64 int64
		if err := n.Decode(&v64); err != nil {
			d.fail(n, key, "%v", err)
			return 0
		}
		v = int(v64)
	}
	if v < min {
		d.fail(n, key, "%d is below %d", v, min)
	}
	return v
}

func (d *decoder) int64p(n *yaml.Node, key string) *int64 {
	var v int64
	if n.Kind != yaml.ScalarNode || n.ShortTag() != "!!int" || n.Decode(&v) != nil {
		d.fail(n, key, "want a whole number, got %s", describe(n))
		return nil
	}
	return &v
}

func (d *decoder) float(n *yaml.Node, key string) float64 {
	var v float64
	if n.Kind != yaml.ScalarNode || (n.ShortTag() != "!!int" && n.ShortTag() != "!!float") || n.Decode(&v) != nil {
		d.fail(n, key, "want a number, got %s", describe(n))
	}
	return v
}

func (d *decoder) boolean(n *yaml.Node, key string) bool {
	var v bool
	if n.Kind != yaml.ScalarNode || n.ShortTag() != "!!bool" || n.Decode(&v) != nil {
		d.fail(n, key, "want true or false, got %s", describe(n))
	}
	return v
}

// duration reads a Go duration ("15s") or a number of seconds.
func (d *decoder) duration(n *yaml.Node, key string) Duration {
	if n.Kind != yaml.ScalarNode || n.ShortTag() == "!!null" {
		d.fail(n, key, "want a duration such as 30m or 15s, got %s", describe(n))
		return 0
	}
	var v time.Duration
	switch n.ShortTag() {
	case "!!int", "!!float":
		s, err := strconv.ParseFloat(n.Value, 64)
		if err != nil || math.IsNaN(s) || math.IsInf(s, 0) {
			d.fail(n, key, "%q is not a number of seconds", n.Value)
			return 0
		}
		v = time.Duration(s * float64(time.Second))
	default:
		var err error
		if v, err = time.ParseDuration(n.Value); err != nil {
			d.fail(n, key, "%q is not a duration (want e.g. 30m, 15s, 1h30m, or seconds)", n.Value)
			return 0
		}
	}
	if v < 0 {
		d.fail(n, key, "negative duration %s", n.Value)
		return 0
	}
	return Duration(v)
}

// words reads a list of scalars; numbers and booleans are kept as written.
func (d *decoder) words(n *yaml.Node, key string) []string {
	if n.Kind != yaml.SequenceNode {
		d.fail(n, key, "want a list, got %s", describe(n))
		return nil
	}
	out := make([]string, 0, len(n.Content))
	for i, e := range n.Content {
		e = resolve(e)
		if e.Kind != yaml.ScalarNode || e.ShortTag() == "!!null" {
			d.fail(e, fmt.Sprintf("%s[%d]", key, i), "want a string, got %s", describe(e))
			continue
		}
		out = append(out, e.Value)
	}
	return out
}

// serverKeys are the keys of `server:`, which a variant may also give.
var serverKeys = []string{"kind", "command", "host", "port", "args", "env", "base_url", "ready_timeout", "stop_grace"}

// rawServer holds the server keys given in one mapping; nil or absent means not given.
type rawServer struct {
	kind, host, baseURL     *string
	command, args           []string
	hasCommand, hasArgs     bool
	port                    *int
	env                     map[string]string
	readyTimeout, stopGrace *Duration
	kindNode                *yaml.Node
	line                    int
}

func (d *decoder) serverKey(r *rawServer, key, k string, kn, v *yaml.Node) {
	full := join(key, k)
	switch k {
	case "kind":
		s := d.str(v, full)
		if s != "" && !server.KnownKind(s) {
			d.fail(v, full, "unknown kind %q (want one of %s)", s, strings.Join(server.Kinds(), ", "))
		}
		r.kind, r.kindNode = &s, v
	case "command":
		if v.Kind == yaml.ScalarNode {
			d.fail(v, full, "want a list such as [vllm, serve], got %s", describe(v))
			return
		}
		r.command, r.hasCommand = d.words(v, full), true
		if len(r.command) == 0 {
			d.fail(v, full, "empty")
		}
	case "host":
		s := d.str(v, full)
		r.host = &s
	case "port":
		p := d.integer(v, full, 1)
		if p > 65535 {
			d.fail(v, full, "%d is not a port", p)
		}
		r.port = &p
	case "args":
		r.args, r.hasArgs = d.words(v, full), true
	case "env":
		if v.Kind != yaml.MappingNode {
			d.fail(v, full, "want a mapping of NAME: value, got %s", describe(v))
			return
		}
		r.env = map[string]string{}
		for i := 0; i+1 < len(v.Content); i += 2 {
			name, val := v.Content[i].Value, resolve(v.Content[i+1])
			if name == "" || strings.ContainsAny(name, "= \t") {
				d.fail(v.Content[i], join(full, name), "not a variable name")
				continue
			}
			if val.Kind != yaml.ScalarNode {
				d.fail(val, join(full, name), "want a string, got %s", describe(val))
				continue
			}
			r.env[name] = val.Value // null becomes "": set and empty
		}
	case "base_url":
		s := d.str(v, full)
		if s != "" {
			if err := server.CheckURL(s); err != nil {
				d.fail(v, full, "%v", err)
			}
		}
		r.baseURL = &s
	case "ready_timeout":
		x := d.duration(v, full)
		r.readyTimeout = &x
	case "stop_grace":
		x := d.duration(v, full)
		r.stopGrace = &x
	}
}

// merge lays the keys given in r over base.
func (r *rawServer) merge(base Server) Server {
	s := base
	s.Command = append([]string(nil), base.Command...)
	s.Args = append([]string(nil), base.Args...)
	if r.kind != nil && *r.kind != base.Kind {
		s.Kind = *r.kind
		s.Command = nil // the new kind's default, unless given below
	}
	if r.hasCommand {
		s.Command = r.command
	}
	if r.host != nil {
		s.Host = *r.host
	}
	if r.port != nil {
		s.Port = *r.port
	}
	if r.hasArgs {
		s.Args = r.args
	}
	if len(base.Env)+len(r.env) > 0 {
		s.Env = map[string]string{}
		for k, v := range base.Env {
			s.Env[k] = v
		}
		for k, v := range r.env {
			s.Env[k] = v
		}
	}
	if r.baseURL != nil {
		s.BaseURL = *r.baseURL
	}
	if r.readyTimeout != nil {
		s.ReadyTimeout = *r.readyTimeout
	}
	if r.stopGrace != nil {
		s.StopGrace = *r.stopGrace
	}
	return s
}

func fillDefaults(s Server) Server {
	if s.Kind == "" {
		s.Kind = server.KindVLLM
	}
	if len(s.Command) == 0 {
		s.Command = server.DefaultCommand(s.Kind)
	}
	if s.Kind == server.KindExternal {
		s.Command, s.Host, s.Port, s.Args = nil, "", 0, nil
	} else {
		if s.Host == "" {
			s.Host = server.DefaultHost
		}
		if s.Port == 0 {
			s.Port = server.DefaultPort
		}
	}
	if s.ReadyTimeout == 0 {
		s.ReadyTimeout = Duration(server.DefaultReadyTimeout)
	}
	if s.StopGrace == 0 {
		s.StopGrace = Duration(server.DefaultStopGrace)
	}
	return s
}

var (
	topKeys     = []string{"name", "output", "server", "variants", "evals"}
	variantKeys = append([]string{"name", "model", "reference", "prepare"}, serverKeys...)
	evalKeys    = append([]string{"name"}, eval.PlanKeys()...)
)

// EvalKeys are the keys an eval of a plan takes: name, and every setting of
// eval.Settings a plan takes, named as its flag with _ for -.
func EvalKeys() []string { return slices.Clone(evalKeys) }

// Parse reads and checks a plan; file names it in errors. The error joins one
// *Error per problem found.
func Parse(file string, data []byte) (*Plan, error) {
	d := &decoder{file: file}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, &Error{File: file, Err: err}
	}
	if doc.Kind != yaml.DocumentNode || len(doc.Content) == 0 {
		return nil, &Error{File: file, Err: errors.New("empty plan")}
	}
	sum := sha256.Sum256(data)
	p := &Plan{File: file, SHA256: hex.EncodeToString(sum[:])}
	var defaults rawServer
	var variantsNode, evalsNode, root *yaml.Node
	root = resolve(doc.Content[0])
	d.fields(root, "", topKeys, func(k string, kn, v *yaml.Node) {
		switch k {
		case "name":
			p.Name = d.str(v, k)
		case "output":
			p.Output = d.str(v, k)
		case "server":
			defaults.line = kn.Line
			d.fields(v, k, serverKeys, func(sk string, skn, sv *yaml.Node) { d.serverKey(&defaults, k, sk, skn, sv) })
		case "variants":
			variantsNode = v
		case "evals":
			evalsNode = v
		}
	})
	if root.Kind != yaml.MappingNode {
		return nil, errors.Join(d.errs...)
	}
	if p.Name == "" {
		p.Name = strings.TrimSuffix(strings.TrimSuffix(pathBase(file), ".yaml"), ".yml")
	}
	if p.Output == "" {
		p.Output = "results/" + p.Name
	}
	p.Server = fillDefaults(defaults.merge(Server{}))
	if defaults.baseURL != nil && p.Server.Kind != server.KindExternal {
		d.fail(root, "server.base_url", "only for kind external (the server's URL is its host and port)")
	}

	// Variants inherit the defaults as written, so that a variant changing the kind
	// gets that kind's default command.
	base := defaults.merge(Server{})
	d.variants(p, variantsNode, root, base)
	d.evals(p, evalsNode, root)
	if len(d.errs) > 0 {
		return nil, errors.Join(d.errs...)
	}
	return p, nil
}

func pathBase(file string) string {
	if i := strings.LastIndexAny(file, `/\`); i >= 0 {
		return file[i+1:]
	}
	return file
}

func (d *decoder) variants(p *Plan, n, root *yaml.Node, base Server) {
	if n == nil {
		d.fail(root, "variants", "missing: a plan needs at least one variant")
		return
	}
	if n.Kind != yaml.SequenceNode || len(n.Content) == 0 {
		d.fail(n, "variants", "want a list of variants, got %s", describe(n))
		return
	}
	names := map[string]int{}
	var ref *Variant
	for i, vn := range n.Content {
		vn = resolve(vn)
		key := fmt.Sprintf("variants[%d]", i)
		v := Variant{Line: vn.Line}
		var raw rawServer
		var nameNode, modelNode *yaml.Node
		ok := d.fields(vn, key, variantKeys, func(k string, kn, val *yaml.Node) {
			full := join(key, k)
			switch k {
			case "name":
				v.Name, nameNode = d.str(val, full), val
			case "model":
				v.Model, modelNode = d.str(val, full), val
			case "reference":
				v.Reference = d.boolean(val, full)
			case "prepare":
				v.Prepare = d.prepare(val, full)
			default:
				d.serverKey(&raw, key, k, kn, val)
			}
		})
		if !ok {
			continue
		}
		switch {
		case nameNode == nil:
			d.fail(vn, key+".name", "missing")
		case !safeName.MatchString(v.Name):
			d.fail(nameNode, key+".name", "%q cannot name a folder (use letters, digits, . _ + -)", v.Name)
		default:
			if at, dup := names[v.Name]; dup {
				d.fail(nameNode, key+".name", "%q already names the variant at line %d", v.Name, at)
			}
			names[v.Name] = nameNode.Line
		}
		if modelNode == nil || v.Model == "" {
			d.fail(vn, key+".model", "missing")
		}
		v.Server = fillDefaults(raw.merge(base))
		if v.Server.Kind == server.KindExternal && v.Server.BaseURL == "" {
			d.fail(vn, key+".base_url", "missing: kind external needs the endpoint's URL")
		}
		if v.Server.Kind != server.KindExternal && raw.baseURL != nil {
			d.fail(vn, key+".base_url", "only for kind external (add kind: external)")
		}
		if v.Reference {
			if ref != nil {
				d.fail(vn, key+".reference", "a second reference (variant %q at line %d is one already)", ref.Name, ref.Line)
			} else {
				ref = &v
			}
		}
		p.Variants = append(p.Variants, v)
	}
}

// prepare reads a list of commands, each a string for sh -c or a list of words.
func (d *decoder) prepare(n *yaml.Node, key string) []Command {
	if n.Kind != yaml.SequenceNode {
		d.fail(n, key, "want a list of commands, got %s", describe(n))
		return nil
	}
	var out []Command
	for i, c := range n.Content {
		c = resolve(c)
		ck := fmt.Sprintf("%s[%d]", key, i)
		switch {
		case c.Kind == yaml.ScalarNode && c.ShortTag() == "!!str" && strings.TrimSpace(c.Value) != "":
			out = append(out, Command{"sh", "-c", c.Value})
		case c.Kind == yaml.SequenceNode && len(c.Content) > 0:
			out = append(out, Command(d.words(c, ck)))
		default:
			d.fail(c, ck, "want a command line or a list of words, got %s", describe(c))
		}
	}
	return out
}

func (d *decoder) evals(p *Plan, n, root *yaml.Node) {
	if n == nil {
		d.fail(root, "evals", "missing: a plan needs at least one eval")
		return
	}
	if n.Kind != yaml.SequenceNode || len(n.Content) == 0 {
		d.fail(n, "evals", "want a list of evals, got %s", describe(n))
		return
	}
	names := map[string]int{}
	for i, en := range n.Content {
		en = resolve(en)
		key := fmt.Sprintf("evals[%d]", i)
		e := Eval{Line: en.Line, Options: eval.Defaults()}
		e.Evalset = ""
		var nameNode *yaml.Node
		ok := d.fields(en, key, evalKeys, func(k string, kn, v *yaml.Node) {
			full := join(key, k)
			if k != "name" {
				d.setting(&e, eval.Lookup(k), v, full)
				return
			}
			e.Name, nameNode = d.str(v, full), v
			if e.Name != "" && !safeName.MatchString(e.Name) {
				d.fail(v, full, "%q cannot name a file (use letters, digits, . _ + -)", e.Name)
			}
		})
		if !ok {
			continue
		}
		if e.Evalset == "" {
			d.fail(en, key+".evalset", "missing")
			continue
		}
		if e.Name == "" {
			e.Name = DefaultEvalName(e.Evalset, e.Task)
		}
		e.Given = givenInOrder(e.Given)
		at := nameNode
		if at == nil {
			at = en
		}
		if first, dup := names[e.Name]; dup {
			d.fail(at, key+".name", "result name %q is already used by the eval at line %d (give each a distinct name:)", e.Name, first)
		}
		names[e.Name] = en.Line
		p.Evals = append(p.Evals, e)
	}
}

// setting reads the value of an evaluation setting as its kind is written in YAML,
// checks it and stores it in e.
func (d *decoder) setting(e *Eval, s *eval.Setting, n *yaml.Node, key string) {
	var v any
	before := len(d.errs)
	switch s.Kind() {
	case eval.String:
		v = d.str(n, key)
	case eval.OptionalString: // any scalar; nothing is ""
		if n.Kind != yaml.ScalarNode {
			d.fail(n, key, "want a string, got %s", describe(n))
			return
		}
		v = n.Value
		if n.ShortTag() == "!!null" {
			v = ""
		}
	case eval.Int, eval.OptionalInt:
		p := d.int64p(n, key)
		if p == nil {
			return
		}
		v = *p
	case eval.Float:
		v = d.float(n, key)
	case eval.Seconds:
		v = d.duration(n, key).D()
	case eval.JSONObject:
		v = d.extraBody(n, key)
	}
	if len(d.errs) > before {
		return // the value was not read
	}
	if err := s.Set(&e.Options, v); err != nil {
		d.fail(n, key, "%v", err)
		return
	}
	e.Given = append(e.Given, s.Flag)
}

// givenInOrder puts flags in the order of eval.Settings.
func givenInOrder(flags []string) []string {
	var out []string
	for _, s := range eval.Settings {
		if slices.Contains(flags, s.Flag) {
			out = append(out, s.Flag)
		}
	}
	return out
}

// extraBody reads a mapping, or a string holding a JSON object as the flag takes it.
func (d *decoder) extraBody(n *yaml.Node, key string) json.RawMessage {
	var v any
	switch {
	case n.Kind == yaml.MappingNode:
		if err := n.Decode(&v); err != nil {
			d.fail(n, key, "%v", err)
			return nil
		}
	case n.Kind == yaml.ScalarNode && n.ShortTag() == "!!str":
		if err := json.Unmarshal([]byte(n.Value), &v); err != nil {
			d.fail(n, key, "not JSON: %v", err)
			return nil
		}
		if _, ok := v.(map[string]any); !ok {
			d.fail(n, key, "want a JSON object")
			return nil
		}
	default:
		d.fail(n, key, "want a mapping (or a JSON object in a string), got %s", describe(n))
		return nil
	}
	b, err := json.Marshal(v)
	if err != nil {
		d.fail(n, key, "%v", err)
		return nil
	}
	return b
}

// SortedEnv lists env as NAME=value lines in name order.
func SortedEnv(env map[string]string) []string {
	keys := make([]string, 0, len(env))
	for k := range env {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	out := make([]string, len(keys))
	for i, k := range keys {
		out[i] = k + "=" + env[k]
	}
	return out
}
