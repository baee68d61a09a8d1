package redact

import (
	"net/url"
	"strings"
)

// Secret values quanteval knows of, gathered where they are configured, for New
// and With. Each returns the values only: a Redactor ignores those too short to
// hide (MinLen).

// FromEnv returns the secret values of env: the value of each secret name
// (IsSecret: HF_TOKEN, HUGGING_FACE_HUB_TOKEN, *_API_KEY ...) and, in any value,
// what Args would hide by its form: a URL's password (HF_ENDPOINT, HTTP_PROXY,
// https_proxy, ALL_PROXY ...), a secret query parameter, an Authorization header.
func FromEnv(env map[string]string) []string {
	var out []string
	for k, v := range env {
		if IsSecret(k) {
			out = append(out, v)
		}
		byForm(v, &out)
	}
	return out
}

// FromEnviron is FromEnv of an environment as os.Environ lists it (NAME=value).
func FromEnviron(environ []string) []string {
	env := make(map[string]string, len(environ))
	for _, kv := range environ {
		if k, v, ok := strings.Cut(kv, "="); ok {
			env[k] = v
		}
	}
	return FromEnv(env)
}

// FromArgs returns the secret values in a command line, as Args finds them: the
// value after --api-key (or --api-key=), of HF_TOKEN=..., in a shell script, in an
// Authorization header, a query string or a URL.
func FromArgs(args []string) []string {
	_, found := byName(args)
	return found
}

// FromURL returns the password of a URL (and the secret query parameters it
// carries), nothing when it has none or is no URL.
func FromURL(s string) []string {
	var out []string
	if u, err := url.Parse(strings.TrimSpace(s)); err == nil && u.User != nil {
		if p, ok := u.User.Password(); ok {
			out = append(out, p)
		}
	}
	byForm(s, &out)
	return out
}

// Known returns a Redactor for a run against baseURL with apiKey: it hides the key,
// the URL's password and the secret values of the environment environ (os.Environ:
// HF_TOKEN, the proxies' passwords ...).
func Known(environ []string, baseURL, apiKey string) *Redactor {
	values := append(FromEnviron(environ), apiKey)
	return New(append(values, FromURL(baseURL)...)...)
}
