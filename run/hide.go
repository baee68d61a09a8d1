package run

import (
	"encoding/json"

	"github.com/quanteval/quanteval/redact"
	"github.com/quanteval/quanteval/result"
)

// The run's own settings are recorded in the result's params and the journal's
// header. A user may pass a key through them (a proxy's key in --extra-body, a
// token quoted in --system), so the secret values the run knows (Config.secrets)
// are hidden there as in the records' errors. The journal's fingerprint is hidden
// alike on writing and on comparing, so a resume still matches.

// hideParams hides rd's values in the system message and the extra body of p.
func hideParams(p *result.Params, rd *redact.Redactor) {
	p.System = rd.String(p.System)
	p.ExtraBody = hideJSON(p.ExtraBody, rd)
}

// hide is fp with rd's values hidden in its system message and extra body.
func (fp fingerprint) hide(rd *redact.Redactor) fingerprint {
	fp.System = rd.String(fp.System)
	fp.ExtraBody = hideJSON(fp.ExtraBody, rd)
	return fp
}

// hideJSON hides rd's values in a JSON document; a value that hid JSON's own syntax
// (it held a quote) leaves the mark as the whole document, still JSON.
func hideJSON(raw json.RawMessage, rd *redact.Redactor) json.RawMessage {
	if len(raw) == 0 {
		return raw
	}
	s := rd.String(string(raw))
	if s == string(raw) {
		return raw
	}
	if !json.Valid([]byte(s)) {
		q, _ := json.Marshal(redact.Mark)
		return q
	}
	return json.RawMessage(s)
}
