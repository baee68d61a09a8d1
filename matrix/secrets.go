package matrix

import (
	"os"
	"strings"

	"github.com/quanteval/quanteval/plan"
	"github.com/quanteval/quanteval/redact"
)

// Secrets returns a Redactor for everything a run of p shows or records (progress
// lines, the manifest, the dry run, the errors, the prepare commands' output): it
// hides the secret values of quanteval's environment (HF_TOKEN, the proxies'
// passwords ...), of every variant's added environment, server command line
// (--api-key ...), prepare commands and base URL, and the API key each eval
// reads (api_key_env).
func Secrets(p *plan.Plan) *redact.Redactor { return redact.New(secretValues(p)...) }

// secretValues are the values Secrets hides.
func secretValues(p *plan.Plan) []string {
	environ := os.Environ()
	values := redact.FromEnviron(environ)
	for _, v := range p.Variants {
		spec := serverSpec(p, v)
		values = append(values, redact.FromEnv(spec.AddedEnv())...)
		values = append(values, redact.FromArgs(v.Server.Command)...)
		values = append(values, redact.FromArgs(v.Server.Args)...)
		if argv, err := spec.Argv(); err == nil {
			values = append(values, redact.FromArgs(argv)...)
		}
		for _, u := range strings.Split(spec.BaseURL, ",") { // an external endpoint's replicas
			values = append(values, redact.FromURL(u)...)
		}
		for _, c := range v.Prepare {
			values = append(values, redact.FromArgs(c)...)
		}
	}
	for _, e := range p.Evals {
		if e.APIKeyEnv != "" {
			values = append(values, os.Getenv(e.APIKeyEnv))
		}
	}
	return values
}
