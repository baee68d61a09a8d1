package kube

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"

	"github.com/quanteval/quanteval/redact"
)

// maxName is the longest object name emitted: Job pods add "-INDEX-xxxxx" to the
// Job's name and must stay within 63 characters.
const maxName = 52

// slug turns a name into a Kubernetes name (RFC 1035 label): lower case letters,
// digits and '-', starting with a letter, ending with a letter or digit. Any other
// run of characters becomes one '-'. "" when nothing is left.
func slug(s string) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(s) {
		if (r >= 'a' && r <= 'z') || (r >= '0' && r <= '9') {
			if dash && b.Len() > 0 {
				b.WriteByte('-')
			}
			b.WriteRune(r)
			dash = false
			continue
		}
		dash = true
	}
	out := b.String()
	if out != "" && (out[0] < 'a' || out[0] > 'z') {
		out = "q" + out
	}
	return out
}

// objectName joins name parts with '-', cut to maxName characters with a short
// hash of the whole when longer, so that cut names stay distinct.
func objectName(parts ...string) string {
	n := strings.Join(parts, "-")
	if len(n) <= maxName {
		return n
	}
	h := sha256.Sum256([]byte(n))
	suffix := hex.EncodeToString(h[:])[:8]
	return strings.TrimRight(n[:maxName-len(suffix)-1], "-") + "-" + suffix
}

// labelValue is a name as a label value (at most 63 characters).
func labelValue(s string) string {
	s = slug(s)
	if len(s) > 63 {
		s = strings.TrimRight(s[:63], "-")
	}
	return s
}

func isSecret(name string) bool { return redact.IsSecret(name) }

// checkArgs refuses what would not work, or leak, in a cluster: a secret on the
// command line, and a server listening on the loopback only.
func checkArgs(v Variant) error {
	argv := append(append([]string(nil), v.Command...), v.Args...)
	red := redact.Args(argv)
	for i := range argv {
		if red[i] != argv[i] {
			return fmt.Errorf("argument %d (%s) carries a secret, which would be written into the Deployment: give it through an environment variable from the Secret", i+1, red[i])
		}
	}
	for i, a := range argv {
		host := ""
		switch {
		case a == "--host" && i+1 < len(argv):
			host = argv[i+1]
		case strings.HasPrefix(a, "--host="):
			host = strings.TrimPrefix(a, "--host=")
		}
		if loopback(host) {
			return fmt.Errorf("--host %s: the server would not be reachable through its Service: listen on 0.0.0.0", host)
		}
	}
	if h := v.Env["OLLAMA_HOST"]; loopback(strings.Split(strings.TrimPrefix(h, "http://"), ":")[0]) {
		return errors.New("OLLAMA_HOST " + h + ": the server would not be reachable through its Service: listen on 0.0.0.0")
	}
	return nil
}

func loopback(host string) bool {
	return host == "127.0.0.1" || host == "localhost" || host == "::1" || host == "[::1]"
}
