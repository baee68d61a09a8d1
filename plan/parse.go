package plan

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/quanteval/quanteval/internal/yamltree"
	"go.yaml.in/yaml/v3"

	"github.com/quanteval/quanteval/eval"
	"github.com/quanteval/quanteval/server"
)

// serverKeys are the keys of `server:`, which a variant may also give.
var serverKeys = []string{"kind", "command", "host", "port", "args", "env", "base_url", "ready_timeout", "stop_grace", "kill_strays", "image", "cost_per_hour"}

// rawServer holds the server keys given in one mapping; nil or absent means not given.
type rawServer struct {
	kind, host, baseURL     *string
	image                   *string
	command, args           []string
	hasCommand, hasArgs     bool
	port                    *int
	env                     map[string]string
	readyTimeout, stopGrace *Duration
	killStrays              *bool
	costPerHour             *float64
	kindNode                *yaml.Node
	line                    int
}

func (d *decoder) serverKey(r *rawServer, key, k string, kn, v *yaml.Node) {
	full := yamltree.Join(key, k)
	switch k {
	case "kind":
		s := d.Str(v, full)
		if s != "" && !server.KnownKind(s) {
			d.Fail(v, full, "unknown kind %q (want one of %s)", s, strings.Join(server.Kinds(), ", "))
		}
		r.kind, r.kindNode = &s, v
	case "command":
		if v.Kind == yaml.ScalarNode {
			d.Fail(v, full, "want a list such as [vllm, serve], got %s", yamltree.Describe(v))
			return
		}
		r.command, r.hasCommand = d.Words(v, full), true
		if len(r.command) == 0 {
			d.Fail(v, full, "empty")
		}
	case "host":
		s := d.Str(v, full)
		r.host = &s
	case "port":
		p := d.Integer(v, full, 1)
		if p > 65535 {
			d.Fail(v, full, "%d is not a port", p)
		}
		r.port = &p
	case "args":
		r.args, r.hasArgs = d.Words(v, full), true
	case "env":
		if v.Kind != yaml.MappingNode {
			d.Fail(v, full, "want a mapping of NAME: value, got %s", yamltree.Describe(v))
			return
		}
		r.env = map[string]string{}
		for i := 0; i+1 < len(v.Content); i += 2 {
			name, val := v.Content[i].Value, yamltree.Resolve(v.Content[i+1])
			if name == "" || strings.ContainsAny(name, "= \t") {
				d.Fail(v.Content[i], yamltree.Join(full, name), "not a variable name")
				continue
			}
			if val.Kind != yaml.ScalarNode {
				d.Fail(val, yamltree.Join(full, name), "want a string, got %s", yamltree.Describe(val))
				continue
			}
			r.env[name] = val.Value // null becomes "": set and empty
		}
	case "base_url":
		s := d.baseURLs(v, full) // several replicas: URL,URL,... (replicas.go)
		r.baseURL = &s
	case "ready_timeout":
		x := Duration(d.Duration(v, full))
		r.readyTimeout = &x
	case "stop_grace":
		x := Duration(d.Duration(v, full))
		r.stopGrace = &x
	case "kill_strays":
		b := d.Boolean(v, full)
		r.killStrays = &b
	case "image":
		x := d.image(v, full)
		r.image = &x
	case "cost_per_hour":
		x := d.Float(v, full)
		if x < 0 {
			d.Fail(v, full, "negative cost %v", x)
		}
		r.costPerHour = &x
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
	lay(&s.Host, r.host)
	lay(&s.Port, r.port)
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
	lay(&s.BaseURL, r.baseURL)
	lay(&s.ReadyTimeout, r.readyTimeout)
	lay(&s.StopGrace, r.stopGrace)
	lay(&s.KillStrays, r.killStrays)
	lay(&s.Image, r.image)
	lay(&s.CostPerHour, r.costPerHour)
	return s
}

// lay sets *dst to *given when the key was given (given is not nil).
func lay[T any](dst, given *T) {
	if given != nil {
		*dst = *given
	}
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
	topKeys     = []string{"name", "output", "server", "variants", "evals", "quanteval_image", "kubernetes", "gpus", "max_parallel", "bench", "reference_repeats"}
	variantKeys = append([]string{"name", "model", "reference", "prepare", "gpus", "replicas"}, serverKeys...)
	evalKeys    = append([]string{"name"}, eval.PlanKeys()...)
)

// EvalKeys are the keys an eval of a plan takes: name, and every setting of
// eval.Settings a plan takes, named as its flag with _ for -.
func EvalKeys() []string { return slices.Clone(evalKeys) }

// Parse reads and checks a plan; file names it in errors. The error joins one
// *Error per problem found.
func Parse(file string, data []byte) (*Plan, error) {
	d := &decoder{yamltree.Decoder{File: file}}
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
	var variantsNode, evalsNode, repeatsNode, root *yaml.Node
	root = yamltree.Resolve(doc.Content[0])
	d.Fields(root, "", topKeys, func(k string, kn, v *yaml.Node) {
		switch k {
		case "name":
			p.Name = d.Str(v, k)
		case "output":
			p.Output = d.Str(v, k)
		case "server":
			defaults.line = kn.Line
			d.Fields(v, k, serverKeys, func(sk string, skn, sv *yaml.Node) { d.serverKey(&defaults, k, sk, skn, sv) })
		case "variants":
			variantsNode = v
		case "evals":
			evalsNode = v
		case "quanteval_image":
			p.QuantevalImage = d.image(v, k)
		case "kubernetes":
			p.Kubernetes = d.kubernetes(v, k)
		case "gpus":
			p.GPUs = d.nodeGPUs(v, k)
		case "max_parallel":
			p.MaxParallel = d.Integer(v, k, 1)
		case "bench":
			p.Bench = d.bench(v, kn)
		case "reference_repeats":
			p.ReferenceRepeats, repeatsNode = d.Integer(v, k, 1), v
		}
	})
	if root.Kind != yaml.MappingNode {
		return nil, errors.Join(d.Errs...)
	}
	if p.Name == "" {
		p.Name = strings.TrimSuffix(strings.TrimSuffix(pathBase(file), ".yaml"), ".yml")
	}
	if p.Output == "" {
		p.Output = "results/" + p.Name
	}
	p.Server = fillDefaults(defaults.merge(Server{}))
	if defaults.baseURL != nil && p.Server.Kind != server.KindExternal {
		d.Fail(root, "server.base_url", "only for kind external (the server's URL is its host and port)")
	}

	// Variants inherit the defaults as written, so that a variant changing the kind
	// gets that kind's default command.
	base := defaults.merge(Server{})
	d.variants(p, variantsNode, root, base)
	d.evals(p, evalsNode, root)
	if p.ReferenceRepeats > 1 && p.Reference() == nil {
		d.Fail(repeatsNode, "reference_repeats", "needs a variant marked reference: true")
	}
	if len(d.Errs) > 0 {
		return nil, errors.Join(d.Errs...)
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
		d.Fail(root, "variants", "missing: a plan needs at least one variant")
		return
	}
	if n.Kind != yaml.SequenceNode || len(n.Content) == 0 {
		d.Fail(n, "variants", "want a list of variants, got %s", yamltree.Describe(n))
		return
	}
	names := map[string]int{}
	var ref *Variant
	var portGiven []bool
	var nodes []*yaml.Node
	defer func() { d.checkNode(p, portGiven, nodes) }()
	for i, vn := range n.Content {
		vn = yamltree.Resolve(vn)
		key := fmt.Sprintf("variants[%d]", i)
		v := Variant{Line: vn.Line}
		var raw rawServer
		var nameNode, modelNode *yaml.Node
		ok := d.Fields(vn, key, variantKeys, func(k string, kn, val *yaml.Node) {
			full := yamltree.Join(key, k)
			switch k {
			case "name":
				v.Name, nameNode = d.Str(val, full), val
			case "model":
				v.Model, modelNode = d.Str(val, full), val
			case "reference":
				v.Reference = d.Boolean(val, full)
			case "prepare":
				v.Prepare = d.prepare(val, full)
			case "gpus":
				v.GPUs = d.Integer(val, full, 1)
			case "replicas":
				v.Replicas = d.replicas(val, full)
			default:
				d.serverKey(&raw, key, k, kn, val)
			}
		})
		if !ok {
			continue
		}
		switch {
		case nameNode == nil:
			d.Fail(vn, key+".name", "missing")
		case !safeName.MatchString(v.Name):
			d.Fail(nameNode, key+".name", "%q cannot name a folder (use letters, digits, . _ + -)", v.Name)
		case reservedNames[strings.ToLower(v.Name)]:
			d.Fail(nameNode, key+".name", "%q is taken by matrix's own %s in the output folder", v.Name, strings.ToLower(v.Name))
		default:
			// Names differing only in case are one folder on a case-insensitive file
			// system (macOS, Windows): the second would write over the first.
			if at, dup := names[strings.ToLower(v.Name)]; dup {
				d.Fail(nameNode, key+".name", "%q already names the variant at line %d", v.Name, at)
			}
			names[strings.ToLower(v.Name)] = nameNode.Line
		}
		if modelNode == nil || v.Model == "" {
			d.Fail(vn, key+".model", "missing")
		}
		v.Server = fillDefaults(raw.merge(base))
		if v.Server.Kind == server.KindExternal && v.Server.BaseURL == "" {
			d.Fail(vn, key+".base_url", "missing: kind external needs the endpoint's URL")
		}
		if v.Server.Kind != server.KindExternal && raw.baseURL != nil {
			d.Fail(vn, key+".base_url", "only for kind external (add kind: external)")
		}
		if v.Reference {
			if ref != nil {
				d.Fail(vn, key+".reference", "a second reference (variant %q at line %d is one already)", ref.Name, ref.Line)
			} else {
				ref = &v
			}
		}
		p.Variants = append(p.Variants, v)
		portGiven, nodes = append(portGiven, raw.port != nil), append(nodes, vn)
	}
}

// reservedNames are what matrix writes in the output folder beside the variants'
// folders: no variant may be named like them (compared without case).
var reservedNames = map[string]bool{"logs": true, "report": true, "manifest.json": true}

// prepare reads a list of commands, each a string for sh -c or a list of words.
func (d *decoder) prepare(n *yaml.Node, key string) []Command {
	if n.Kind != yaml.SequenceNode {
		d.Fail(n, key, "want a list of commands, got %s", yamltree.Describe(n))
		return nil
	}
	var out []Command
	for i, c := range n.Content {
		c = yamltree.Resolve(c)
		ck := fmt.Sprintf("%s[%d]", key, i)
		switch {
		case c.Kind == yaml.ScalarNode && c.ShortTag() == "!!str" && strings.TrimSpace(c.Value) != "":
			out = append(out, Command{"sh", "-c", c.Value})
		case c.Kind == yaml.SequenceNode && len(c.Content) > 0:
			out = append(out, Command(d.Words(c, ck)))
		default:
			d.Fail(c, ck, "want a command line or a list of words, got %s", yamltree.Describe(c))
		}
	}
	return out
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
