package ifeval

import (
	"encoding/json"
	"fmt"
	"math"
	"sort"
)

// Kwargs are the arguments of one instruction, as google/IFEval's kwargs column
// gives them: one dict per instruction that carries every key of every instruction,
// most of them null. A nil pointer or an empty string is a key left null; the
// checker of each instruction says which keys it needs (see Compile).
type Kwargs struct {
	Relation         string   // "less than" or "at least": number_words, number_sentences, frequency
	NumWords         *int     // length_constraints:number_words
	NumSentences     *int     // length_constraints:number_sentences
	Keywords         []string // keywords:existence
	Keyword          string   // keywords:frequency
	Frequency        *int     // keywords:frequency
	ForbiddenWords   []string // keywords:forbidden_words
	Letter           string   // keywords:letter_frequency
	LetFrequency     *int     // keywords:letter_frequency
	LetRelation      string   // keywords:letter_frequency
	Language         string   // language:response_language, ISO 639-1
	NumParagraphs    *int     // number_paragraphs, nth_paragraph_first_word
	NthParagraph     *int     // nth_paragraph_first_word, counted from 1
	FirstWord        string   // nth_paragraph_first_word
	NumPlaceholders  *int     // detectable_content:number_placeholders
	PostscriptMarker string   // detectable_content:postscript
	NumBullets       *int     // detectable_format:number_bullet_lists
	NumHighlights    *int     // detectable_format:number_highlighted_sections
	SectionSpliter   string   // detectable_format:multiple_sections (the data's spelling)
	NumSections      *int     // detectable_format:multiple_sections
	EndPhrase        string   // startend:end_checker
	CapitalFrequency *int     // change_case:capital_word_frequency
	CapitalRelation  string   // change_case:capital_word_frequency
	PromptToRepeat   string   // combination:repeat_prompt
}

// kwargFields maps each key of the data to the field it fills.
func (k *Kwargs) fields() map[string]any {
	return map[string]any{
		"relation": &k.Relation, "num_words": &k.NumWords, "num_sentences": &k.NumSentences,
		"keywords": &k.Keywords, "keyword": &k.Keyword, "frequency": &k.Frequency,
		"forbidden_words": &k.ForbiddenWords, "letter": &k.Letter,
		"let_frequency": &k.LetFrequency, "let_relation": &k.LetRelation,
		"language": &k.Language, "num_paragraphs": &k.NumParagraphs,
		"nth_paragraph": &k.NthParagraph, "first_word": &k.FirstWord,
		"num_placeholders": &k.NumPlaceholders, "postscript_marker": &k.PostscriptMarker,
		"num_bullets": &k.NumBullets, "num_highlights": &k.NumHighlights,
		"section_spliter": &k.SectionSpliter, "num_sections": &k.NumSections,
		"end_phrase": &k.EndPhrase, "capital_frequency": &k.CapitalFrequency,
		"capital_relation": &k.CapitalRelation, "prompt_to_repeat": &k.PromptToRepeat,
	}
}

// KwargKeys lists the keys Kwargs reads, sorted.
func KwargKeys() []string {
	var k Kwargs
	keys := make([]string, 0, 24)
	for key := range k.fields() {
		keys = append(keys, key)
	}
	sort.Strings(keys)
	return keys
}

// ParseKwargs reads one kwargs dict as a data-set reader hands it over (JSON decoded
// into map[string]any, or a Parquet row): numbers may be float64 (integral), int,
// int32 or int64; lists []any or []string; nil is a null key. Keys Kwargs does not
// know are ignored, so that a newer release of the data with more keys still reads.
func ParseKwargs(m map[string]any) (Kwargs, error) {
	var k Kwargs
	fields := k.fields()
	for key, v := range m {
		f, ok := fields[key]
		if !ok || v == nil {
			continue
		}
		if err := setKwarg(f, v); err != nil {
			return Kwargs{}, fmt.Errorf("kwargs %q: %w", key, err)
		}
	}
	return k, nil
}

// UnmarshalJSON reads a kwargs dict of the data's JSON form.
func (k *Kwargs) UnmarshalJSON(b []byte) error {
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		return err
	}
	p, err := ParseKwargs(m)
	if err != nil {
		return err
	}
	*k = p
	return nil
}

// MarshalJSON writes the keys that are set, by the data's names, so that a row
// written back reads the same.
func (k Kwargs) MarshalJSON() ([]byte, error) {
	m := map[string]any{}
	for key, f := range k.fields() {
		switch f := f.(type) {
		case *string:
			if *f != "" {
				m[key] = *f
			}
		case **int:
			if *f != nil {
				m[key] = **f
			}
		case *[]string:
			if *f != nil {
				m[key] = *f
			}
		}
	}
	return json.Marshal(m)
}

func setKwarg(f, v any) error {
	switch f := f.(type) {
	case *string:
		s, ok := v.(string)
		if !ok {
			return fmt.Errorf("want a string, got %T", v)
		}
		*f = s
	case **int:
		n, err := toInt(v)
		if err != nil {
			return err
		}
		*f = &n
	case *[]string:
		l, err := toStrings(v)
		if err != nil {
			return err
		}
		*f = l
	}
	return nil
}

func toInt(v any) (int, error) {
	switch n := v.(type) {
	case int:
		return n, nil
	case int32:
		return int(n), nil
	case int64:
		return int(n), nil
	case float64:
		if n != math.Trunc(n) || math.Abs(n) > 1<<31 {
			return 0, fmt.Errorf("want an integer, got %v", n)
		}
		return int(n), nil
	case json.Number:
		i, err := n.Int64()
		return int(i), err
	}
	return 0, fmt.Errorf("want an integer, got %T", v)
}

func toStrings(v any) ([]string, error) {
	switch l := v.(type) {
	case []string:
		return l, nil
	case []any:
		out := make([]string, len(l))
		for i, e := range l {
			s, ok := e.(string)
			if !ok {
				return nil, fmt.Errorf("item %d: want a string, got %T", i, e)
			}
			out[i] = s
		}
		return out, nil
	}
	return nil, fmt.Errorf("want a list of strings, got %T", v)
}
