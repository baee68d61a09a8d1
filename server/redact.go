package server

import (
	"strings"
)

// Redacted replaces a secret wherever a command line or an environment is shown or
// recorded.
const Redacted = "***"

// IsSecret reports whether a variable or flag name holds a secret: HF_TOKEN, any
// *_API_KEY, and anything with TOKEN, SECRET or PASSWORD in its name (any case;
// for flags, dashes count as underscores: --api-key is API_KEY).
func IsSecret(name string) bool {
	n := strings.ToUpper(strings.ReplaceAll(strings.TrimLeft(name, "-"), "-", "_"))
	return n == "API_KEY" || n == "APIKEY" || strings.HasSuffix(n, "_API_KEY") ||
		strings.Contains(n, "TOKEN") || strings.Contains(n, "SECRET") || strings.Contains(n, "PASSWORD")
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

// RedactArgs returns a copy of args with the values of secret flags replaced, in
// both forms: "--api-key KEY" and "--api-key=KEY".
func RedactArgs(args []string) []string {
	if args == nil {
		return nil
	}
	out := append([]string(nil), args...)
	for i := 0; i < len(out); i++ {
		a := out[i]
		if !strings.HasPrefix(a, "-") {
			continue
		}
		if name, _, ok := strings.Cut(a, "="); ok {
			if IsSecret(name) {
				out[i] = name + "=" + Redacted
			}
			continue
		}
		if IsSecret(a) && i+1 < len(out) && !strings.HasPrefix(out[i+1], "-") {
			out[i+1] = Redacted
			i++
		}
	}
	return out
}

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
