// Package redact owns the hiding of secrets wherever something is shown or recorded:
// command lines, environments, error messages, URLs. The client, the server launcher,
// the matrix manifest and the results all go through it, so that a rule added here
// holds everywhere.
//
// Decisions:
//
//   - A secret is found by its name (IsSecret: HF_TOKEN, *_KEY, *_TOKEN, *_PASSWORD,
//     --api-key, ...) in every form a command line passes it (Args), by its form
//     (an Authorization header, a secret query parameter, a URL's password), and,
//     once a Redactor is told a secret's value (New, Known), by that value wherever
//     it stands: error texts, log lines, manifests, results (String, Error, Writer).
//   - A value shorter than MinLen bytes is not hidden by value: "test" or "1234"
//     would otherwise be starred in every text. Such a value is still hidden where
//     its name or form shows it.
//   - A value is also hidden in its JSON-escaped form, so that a record written as
//     JSON can be redacted as text.
//   - A hidden value is shown as Mark, "***"; URL, for a URL recorded on its own
//     (a result's base URL), writes a password as url.Redacted does ("xxxxx").
//   - A Writer hides the values in a stream (a server's log) as it is written.
//   - A value that starts with $ in a shell script is a reference the shell expands,
//     not the secret, and is shown as written.
package redact

import (
	"encoding/json"
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

// MinLen is the shortest value a Redactor hides by value; shorter ones are ignored.
const MinLen = 6

// New returns a Redactor that also hides each of values wherever it appears (those
// shorter than MinLen, and surrounding blanks, are ignored).
func New(values ...string) *Redactor { return (*Redactor)(nil).With(values...) }

// With returns a Redactor that hides what r hides and values too; r is not changed.
func (r *Redactor) With(values ...string) *Redactor {
	out := &Redactor{}
	if r != nil {
		out.values = slices.Clone(r.values)
	}
	add := func(v string) {
		if len(v) >= MinLen && !slices.Contains(out.values, v) {
			out.values = append(out.values, v)
		}
	}
	for _, v := range values {
		v = strings.TrimSpace(v)
		add(v)
		if q, err := json.Marshal(v); err == nil {
			add(string(q[1 : len(q)-1])) // as it stands inside a JSON string
		}
	}
	slices.SortFunc(out.values, func(a, b string) int { return len(b) - len(a) })
	return out
}

// Len is the length of the longest value r hides, 0 when it hides none.
func (r *Redactor) Len() int {
	if r == nil || len(r.values) == 0 {
		return 0
	}
	return len(r.values[0])
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

// IsSecret reports whether a variable, flag or query-parameter name holds a
// secret (any case; for flags, dashes count as underscores: --api-key is API_KEY):
//   - anything with TOKEN, SECRET, PASSWORD, PASSWD or CREDENTIAL in it (HF_TOKEN,
//     AWS_SECRET_ACCESS_KEY, DB_PASSWORD, GOOGLE_APPLICATION_CREDENTIALS);
//   - KEY, APIKEY, PASS and anything ending in _KEY, _APIKEY or _PASS
//     (OPENAI_API_KEY, SSH_KEY, SMTP_PASS); KEYCLOAK_URL or BYPASS are not.
//
// Counts and tools named after tokens are not secrets: TOKENS
// (--max-num-batched-tokens, MAX_TOKENS), TOKENIZER... and TOKEN_ID(S)
// (--return-tokens-as-token-ids) do not count, so that their values stay in the
// record of what ran and the word after a boolean one such as
// --skip-tokenizer-init is not taken for a secret.
func IsSecret(name string) bool {
	n := strings.ToUpper(strings.ReplaceAll(strings.TrimLeft(name, "-"), "-", "_"))
	n = strings.ReplaceAll(n, ".", "_")
	switch n {
	case "KEY", "APIKEY", "PASS":
		return true
	}
	for _, suffix := range []string{"_KEY", "_APIKEY", "_PASS"} {
		if strings.HasSuffix(n, suffix) {
			return true
		}
	}
	for _, word := range []string{"SECRET", "PASSWORD", "PASSWD", "CREDENTIAL"} {
		if strings.Contains(n, word) {
			return true
		}
	}
	for _, harmless := range []string{"TOKENIZ", "TOKEN_ID", "TOKENS"} {
		n = strings.ReplaceAll(n, harmless, "")
	}
	return strings.Contains(n, "TOKEN")
}

// Env returns a copy of env with the values of secret names replaced, the
// passwords of URLs hidden, and the known values in the others.
func (r *Redactor) Env(env map[string]string) map[string]string {
	if env == nil {
		return nil
	}
	out := make(map[string]string, len(env))
	for k, v := range env {
		if IsSecret(k) {
			v = Mark
		}
		out[k] = r.String(byForm(v, nil))
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
//     ; & | or ), or is one quoted string;
//   - in any word, by its form: an HTTP header that carries a credential
//     ("Authorization: Bearer KEY", "X-Api-Key: KEY"), a secret query parameter
//     ("?api_key=KEY", "&token=KEY", "?key=KEY", "&sig=...") and a URL's
//     password ("https://user:PASS@host").
func (r *Redactor) Args(args []string) []string {
	if args == nil {
		return nil
	}
	out, _ := byName(args)
	for i := range out {
		out[i] = r.String(out[i])
	}
	return out
}

// byName is Args by the name and form rules alone; it also returns the secret
// values it hid.
func byName(args []string) (out, found []string) {
	out = append([]string(nil), args...)
	for i := 0; i < len(out); i++ {
		a := out[i]
		flag, script := strings.HasPrefix(a, "-"), strings.ContainsAny(a, " \t\n;&|")
		if name, val, ok := strings.Cut(a, "="); ok && assignName.MatchString(name) && (flag || !script) {
			if IsSecret(name) {
				out[i] = name + "=" + Mark
				found = append(found, val)
			} else {
				out[i] = byForm(a, &found)
			}
			continue
		}
		if flag && IsSecret(a) {
			if i+1 < len(out) {
				found = append(found, out[i+1])
				out[i+1] = Mark
				i++
			}
			continue
		}
		a = byForm(a, &found) // first: a script's "&token=" is also a query's
		if script {
			a = redactScript(a, &found)
		}
		out[i] = a
	}
	return out, found
}

// assignName is the NAME of a NAME=VALUE word: a flag or a variable name.
var assignName = regexp.MustCompile(`^(-{1,2}[A-Za-z0-9][A-Za-z0-9_.-]*|[A-Za-z_][A-Za-z0-9_]*)$`)

// In a shell script: NAME=VALUE or --flag=VALUE, and --flag VALUE.
var (
	scriptAssign = regexp.MustCompile(`(^|[\s;&|(])(-{0,2}[A-Za-z_][A-Za-z0-9_.-]*)=('[^']*'|"[^"]*"|[^\s;&|)]*)`)
	scriptFlag   = regexp.MustCompile(`(^|[\s;&|(])(-{1,2}[A-Za-z][A-Za-z0-9_-]*)([ \t]+)('[^']*'|"[^"]*"|[^\s;&|)]+)`)
)

// Forms that show a secret whatever the word around them.
var (
	// An HTTP header carrying a credential, with an optional scheme word.
	headerForm = regexp.MustCompile(`(?i)((?:proxy-)?authorization|x-api-key|api-key|x-auth-token|private-token)(\s*:\s*)((?:bearer|basic|token|digest)\s+)?([^\s'"]+)`)
	// A query parameter: ?NAME=VALUE or &NAME=VALUE.
	queryForm = regexp.MustCompile(`([?&])([A-Za-z0-9_.-]+)=([^&\s'"#;|)]+)`)
	// A URL's password: scheme://user:PASSWORD@.
	urlPassForm = regexp.MustCompile(`([A-Za-z][A-Za-z0-9+.-]*://[^/\s:@'"]*:)([^@\s/'"]+)(@)`)
)

// byForm hides the secrets a text shows by their form (headerForm, queryForm,
// urlPassForm), appending the values it hid to found when found is not nil.
func byForm(s string, found *[]string) string {
	note := func(v string) {
		if found != nil && v != Mark {
			*found = append(*found, v)
		}
	}
	s = headerForm.ReplaceAllStringFunc(s, func(m string) string {
		g := headerForm.FindStringSubmatch(m)
		note(g[4])
		return g[1] + g[2] + g[3] + Mark
	})
	s = queryForm.ReplaceAllStringFunc(s, func(m string) string {
		g := queryForm.FindStringSubmatch(m)
		if n := strings.ToUpper(g[2]); !IsSecret(g[2]) && n != "SIG" && n != "SIGNATURE" {
			return m
		}
		note(g[3])
		return g[1] + g[2] + "=" + Mark
	})
	return urlPassForm.ReplaceAllStringFunc(s, func(m string) string {
		g := urlPassForm.FindStringSubmatch(m)
		note(g[2])
		return g[1] + Mark + g[3]
	})
}

// redactScript redacts the secret values in a shell script, appending them to
// found. A value that starts with $ is a reference the shell expands ("--token
// $HF_TOKEN"), not the secret, and is shown as written; one byForm hid already
// stays as it is.
func redactScript(s string, found *[]string) string {
	shown := func(v string) bool {
		v = strings.TrimLeft(v, `"`)
		return strings.HasPrefix(v, "$") || strings.HasPrefix(v, Mark) // a reference, or hidden by its form
	}
	unquote := func(v string) string { return strings.Trim(v, `'"`) }
	s = scriptAssign.ReplaceAllStringFunc(s, func(m string) string {
		g := scriptAssign.FindStringSubmatch(m)
		if !IsSecret(g[2]) || shown(g[3]) {
			return m
		}
		*found = append(*found, unquote(g[3]))
		return g[1] + g[2] + "=" + Mark
	})
	return scriptFlag.ReplaceAllStringFunc(s, func(m string) string {
		g := scriptFlag.FindStringSubmatch(m)
		if !IsSecret(g[2]) || shown(g[4]) {
			return m
		}
		*found = append(*found, unquote(g[4]))
		return g[1] + g[2] + g[3] + Mark
	})
}

// Error returns err with the secrets of argv (as Args finds them) and the known
// values replaced in its message, for an error that quotes a command line (exec's
// "executable file not found" names argv[0] as given). err itself is returned
// when its message holds none of them; otherwise the error returned still wraps
// err, so that errors.Is and As see through (what they find is not redacted).
func (r *Redactor) Error(err error, argv []string) error {
	if err == nil {
		return nil
	}
	msg := err.Error()
	shown, _ := byName(argv)
	for i := range argv {
		if argv[i] != shown[i] && argv[i] != "" {
			msg = strings.ReplaceAll(msg, argv[i], shown[i])
		}
	}
	msg = r.String(msg)
	if msg == err.Error() {
		return err
	}
	return &redacted{msg: msg, err: err}
}

// redacted is an error whose message had secrets removed.
type redacted struct {
	msg string
	err error
}

func (e *redacted) Error() string { return e.msg }
func (e *redacted) Unwrap() error { return e.err }
