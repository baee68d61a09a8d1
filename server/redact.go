package server

import (
	"errors"
	"regexp"
	"strings"

	"github.com/quanteval/quanteval/client"
)

// Redacted replaces a secret wherever a command line or an environment is shown or
// recorded.
const Redacted = "***"

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

// RedactEnv returns a copy of env with the values of secret names replaced.
func RedactEnv(env map[string]string) map[string]string {
	if env == nil {
		return nil
	}
	out := make(map[string]string, len(env))
	for k, v := range env {
		if IsSecret(k) {
			v = Redacted
		}
		out[k] = v
	}
	return out
}

// RedactArgs returns a copy of args with secret values replaced, in every form a
// command line passes them:
//   - a secret flag and its value: "--api-key KEY" (the next word, whatever it
//     starts with: a key may begin with "-") and "--api-key=KEY";
//   - an assignment NAME=VALUE to a secret name, as env, docker -e and a shell
//     read it: "HF_TOKEN=hf_..." becomes "HF_TOKEN=***";
//   - either of these inside a word that is a shell script (sh -c '...', a
//     prepare command written as one string): the value runs to the next blank,
//     ; & | or ), or is one quoted string.
func RedactArgs(args []string) []string {
	if args == nil {
		return nil
	}
	out := append([]string(nil), args...)
	for i := 0; i < len(out); i++ {
		a := out[i]
		flag, script := strings.HasPrefix(a, "-"), strings.ContainsAny(a, " \t\n;&|")
		if name, _, ok := strings.Cut(a, "="); ok && assignName.MatchString(name) && (flag || !script) {
			if IsSecret(name) {
				out[i] = name + "=" + Redacted
			}
			continue
		}
		if flag && IsSecret(a) {
			if i+1 < len(out) {
				out[i+1] = Redacted
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
		return g[1] + g[2] + "=" + Redacted
	})
	return scriptFlag.ReplaceAllStringFunc(s, func(m string) string {
		g := scriptFlag.FindStringSubmatch(m)
		if !IsSecret(g[2]) || shown(g[4]) {
			return m
		}
		return g[1] + g[2] + g[3] + Redacted
	})
}

// RedactError returns err with the secrets of argv (as RedactArgs finds them)
// replaced in its message, for an error that quotes a command line (exec's
// "executable file not found" names argv[0] as given). err itself is returned
// when its message holds none of them, so that errors.Is and As still see through.
func RedactError(err error, argv []string) error {
	if err == nil {
		return nil
	}
	msg := err.Error()
	shown := RedactArgs(argv)
	for i := range argv {
		if argv[i] != shown[i] && argv[i] != "" {
			msg = strings.ReplaceAll(msg, argv[i], shown[i])
		}
	}
	if msg == err.Error() {
		return err
	}
	return errors.New(msg)
}

// RedactURL hides a password in a URL (http://user:xxxxx@host/), as the base URL
// of an external endpoint may carry one: the client's rule, so that a URL reads the
// same in a result file and in a manifest.
func RedactURL(s string) string { return client.Redact(s) }

// Quote joins argv into one line a POSIX shell reads back as the same words.
func Quote(argv []string) string {
	var b strings.Builder
	for i, a := range argv {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(quoteWord(a))
	}
	return b.String()
}

func quoteWord(s string) string {
	if s == "" {
		return "''"
	}
	// A redacted value is shown bare: it is not meant to be pasted back anyway.
	safe := true
	for _, r := range strings.ReplaceAll(s, Redacted, "") {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("-_./:=,+@%", r)) {
			safe = false
			break
		}
	}
	if safe {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
