package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

// A flag the parser refuses is named as help and the README write it (--name),
// with exit 2, before anything starts.
func TestFlagErrorsNameTheFlagWithTwoDashes(t *testing.T) {
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"run", "--timeout", "1e9"}, `invalid value "1e9" for flag --timeout: must be at most 86400 seconds`},
		{[]string{"run", "--concurrency", "many"}, `for flag --concurrency: want a whole number`},
		{[]string{"run", "--stream=maybe"}, `invalid boolean value "maybe" for --stream`},
		{[]string{"run", "--limit"}, `flag needs an argument: --limit`},
		{[]string{"run", "--no-such-flag"}, `flag provided but not defined: --no-such-flag`},
		{[]string{"compare", "--alpha", "x", "a.json"}, `for flag --alpha`},
	} {
		var stdout, stderr bytes.Buffer
		err := quanteval(context.Background(), tt.args, &stdout, &stderr)
		if code := exitCode(err, &stderr); code != 2 || !strings.Contains(stderr.String(), "quanteval: ") || !strings.Contains(stderr.String(), tt.want) {
			t.Errorf("%q: exit %d, stderr %q; want 2 and %q", tt.args, code, stderr.String(), tt.want)
		}
		// One line, said once: no usage dump, no second "-name" copy from the flag package.
		if n := strings.Count(strings.TrimSpace(stderr.String()), "\n"); n != 0 || strings.Contains(stderr.String(), "usage:") {
			t.Errorf("%q: stderr has %d more lines or the usage:\n%s", tt.args, n, stderr.String())
		}
	}
}
