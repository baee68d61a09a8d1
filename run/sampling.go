package run

import (
	"encoding/json"
)

// samplingBody is the extra body with the sampling parameters that are set merged
// in (the extra body's own keys win, as in a request): what the journal's
// fingerprint records as extra_body, so that a resume with other sampling is
// refused while a journal written before these parameters existed, with none set,
// still resumes.
func (c Config) samplingBody() json.RawMessage {
	set := map[string]any{}
	for key, p := range map[string]*float64{"top_p": c.TopP, "min_p": c.MinP, "presence_penalty": c.PresencePenalty} {
		if p != nil {
			set[key] = *p
		}
	}
	if c.TopK != nil {
		set["top_k"] = *c.TopK
	}
	if len(set) == 0 {
		return c.ExtraBody
	}
	var extra map[string]any
	if len(c.ExtraBody) > 0 && json.Unmarshal(c.ExtraBody, &extra) == nil {
		for k, v := range extra {
			set[k] = v
		}
	}
	out, err := json.Marshal(set)
	if err != nil {
		return c.ExtraBody
	}
	return out
}
