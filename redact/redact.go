// Package redact owns the hiding of secrets wherever something is shown or recorded:
// command lines, environments, error messages, URLs. The client, the server launcher,
// the matrix manifest and the results all go through it, so that a rule added here
// holds everywhere.
//
// Decisions:
//
//   - A secret is found by its name (IsSecret: HF_TOKEN, *_API_KEY, --api-key, ...)
//     in every form a command line passes it (Args), and, once a Redactor is told a
//     secret's value (New), by that value wherever it stands.
//   - A hidden value is shown as Mark, "***"; a password in a URL as url.Redacted
//     writes it ("xxxxx").
//   - A value that starts with $ in a shell script is a reference the shell expands,
//     not the secret, and is shown as written.
package redact

import (
	"errors"
	"net/url"
	"regexp"
	"slices"
	"strings"
)

// Mark replaces a secret wherever a command line or an environment is shown or
// recorded.
const Mark = "***"

// Redactor hides secrets: the values of secret names (IsSecret) and the secret values
// it was given. A nil *Redactor knows no values and applies the name rules alone.
type Redactor struct {
	values []string // longest first, so that a value holding another is hidden whole
}

// New returns a Redactor that also hides each of values (empty ones are ignored)
// wherever it appears.
func New(values ...string) *Redactor {
	r := &Redactor{}
	for _, v := range values {
		if v != "" && !slices.Contains(r.values, v) {
			r.values = append(r.values, v)
		}
	}
	slices.SortFunc(r.values, func(a, b string) int { return len(b) - len(a) })
	return r
}

// String returns s with every known value replaced by Mark.
func (r *Redactor) String(s string) string {
	if r == nil {
		return s
	}
	for _, v := range r.values {
		s = strings.ReplaceAll(s, v, Mark)
	}
	return s
}

// Env is Redactor.Env by the name rules alone.
func Env(env map[string]string) map[string]string { return (*Redactor)(nil).Env(env) }

// Args is Redactor.Args by the name rules alone.
func Args(args []string) []string { return (*Redactor)(nil).Args(args) }

// Error is Redactor.Error by the name rules alone.
func Error(err error, argv []string) error { return (*Redactor)(nil).Error(err, argv) }

// URL hides a password in a URL (http://user:xxxxx@host/) so that it can be written to
// a result, a manifest or a log; a string that is not a URL is returned as it is
// unless it holds an "@", whose left side is hidden.
func URL(s string) string {
	u, err := url.Parse(strings.TrimSpace(s))
	if err == nil {
		return u.Redacted()
	}
	if i := strings.LastIndex(s, "@"); i >= 0 {
		return "xxxxx" + s[i:]
	}
	return s
}

// IsSecret reports whether a variable or flag name holds a secret: HF_TOKEN, any
// *_API_KEY, and anything with TOKEN, SECRET or PASSWORD in its name (any case;
// for flags, dashes count as underscores: --api-key is API_KEY). Counts and tools
// named after tokens are not secrets: TOKENS (--max-num-batched-tokens, MAX_TOKENS),
// TOKENIZER... and TOKEN_ID(S) (--return-tokens-as-token-ids) do not count, so
// that their values stay in the record of what ran and the word after a boolean
// one such as --skip-tokenizer-init is not taken for a secret.
func IsSecret(name string) bool {
	n := strings.ToUpper(strings.ReplaceAll(strings.TrimLeft(name, "-"), "-", "_"))
	if n == "API_KEY" || n == "APIKEY" || strings.HasSuffix(n, "_API_KEY") || strings.Contains(n, "SECRET") || strings.Contains(n, "PASSWORD") {
		return true
	}
	for _, harmless := range []string{"TOKENIZ", "TOKEN_ID", "TOKENS"} {
		n = strings.ReplaceAll(n, harmless, "")
	}
	return strings.Contains(n, "TOKEN")
}

// Env returns a copy of env with the values of secret names replaced, and the known
// values in the others.
func (r *Redactor) Env(env map[string]string) map[string]string {
	if env == nil {
		return nil
	}
	out := make(map[string]string, len(env))
	for k, v := range env {
		if IsSecret(k) {
			v = Mark
		}
		out[k] = r.String(v)
	}
	return out
}

// Args returns a copy of args with secret values replaced, in every form a command
// line passes them, and the known values wherever they stand:
//   - a secret flag and its value: "--api-key KEY" (the next word, whatever it
//     starts with: a key may begin with "-") and "--api-key=KEY";
//   - an assignment NAME=VALUE to a secret name, as env, docker -e and a shell
//     read it: "HF_TOKEN=hf_..." becomes "HF_TOKEN=***";
//   - either of these inside a word that is a shell script (sh -c '...', a
//     prepare command written as one string): the value runs to the next blank,
//     ; & | or ), or is one quoted string.
func (r *Redactor) Args(args []string) []string {
	if args == nil {
		return nil
	}
	out := r.byName(args)
	for i := range out {
		out[i] = r.String(out[i])
	}
	return out
}

// byName is Args by the name rules alone.
func (r *Redactor) byName(args []string) []string {
	out := append([]string(nil), args...)
	for i := 0; i < len(out); i++ {
		a := out[i]
		flag, script := strings.HasPrefix(a, "-"), strings.ContainsAny(a, " \t\n;&|")
		if name, _, ok := strings.Cut(a, "="); ok && assignName.MatchString(name) && (flag || !script) {
			if IsSecret(name) {
				out[i] = name + "=" + Mark
			}
			continue
		}
		if flag && IsSecret(a) {
			if i+1 < len(out) {
				out[i+1] = Mark
				i++
			}
			continue
		}
		if script {
			out[i] = redactScript(a)
		}
	}
	return out
}

// assignName is the NAME of a NAME=VALUE word: a flag or a variable name.
var assignName = regexp.MustCompile(`^(-{1,2}[A-Za-z0-9][A-Za-z0-9_.-]*|[A-Za-z_][A-Za-z0-9_]*)$`)

// In a shell script: NAME=VALUE or --flag=VALUE, and --flag VALUE.
var (
	scriptAssign = regexp.MustCompile(`(^|[\s;&|(])(-{0,2}[A-Za-z_][A-Za-z0-9_.-]*)=('[^']*'|"[^"]*"|[^\s;&|)]*)`)
	scriptFlag   = regexp.MustCompile(`(^|[\s;&|(])(-{1,2}[A-Za-z][A-Za-z0-9_-]*)([ \t]+)('[^']*'|"[^"]*"|[^\s;&|)]+)`)
)

// redactScript redacts the secret values in a shell script. A value that starts
// with $ is a reference the shell expands ("--token $HF_TOKEN"), not the secret,
// and is shown as written.
func redactScript(s string) string {
	shown := func(v string) bool { return strings.HasPrefix(strings.TrimLeft(v, `"`), "$") }
	s = scriptAssign.ReplaceAllStringFunc(s, func(m string) string {
		g := scriptAssign.FindStringSubmatch(m)
		if !IsSecret(g[2]) || shown(g[3]) {
			return m
		}
		return g[1] + g[2] + "=" + Mark
	})
	return scriptFlag.ReplaceAllStringFunc(s, func(m string) string {
		g := scriptFlag.FindStringSubmatch(m)
		if !IsSecret(g[2]) || shown(g[4]) {
			return m
		}
		return g[1] + g[2] + g[3] + Mark
	})
}

// Error returns err with the secrets of argv (as Args finds them) and the known
// values replaced in its message, for an error that quotes a command line (exec's
// "executable file not found" names argv[0] as given). err itself is returned
// when its message holds none of them, so that errors.Is and As still see through.
func (r *Redactor) Error(err error, argv []string) error {
	if err == nil {
		return nil
	}
	msg := err.Error()
	shown := r.byName(argv)
	for i := range argv {
		if argv[i] != shown[i] && argv[i] != "" {
			msg = strings.ReplaceAll(msg, argv[i], shown[i])
		}
	}
	msg = r.String(msg)
	if msg == err.Error() {
		return err
	}
	return errors.New(msg)
}
