package ifeval

import (
	"github.com/abadojack/whatlanggo"
)

// iso6391 fills the ISO 639-1 codes whatlanggo leaves empty or spells otherwise
// than langdetect does.
var iso6391 = map[whatlanggo.Lang]string{
	whatlanggo.Pes: "fa", // Persian: whatlanggo has only the ISO 639-3 "pes"
	whatlanggo.Nob: "no", // Bokmål: langdetect says "no"
	whatlanggo.Cmn: "zh", // Mandarin; langdetect says "zh-cn" or "zh-tw"
}

// langCode is the code DetectLanguage gives for a whatlanggo language.
func langCode(l whatlanggo.Lang) string {
	if c, ok := iso6391[l]; ok {
		return c
	}
	if c := l.Iso6391(); c != "" {
		return c
	}
	return l.Iso6393()
}

// detectable holds every code DetectLanguage can return.
var detectable = func() map[string]bool {
	m := map[string]bool{}
	for l := range whatlanggo.Langs {
		m[langCode(l)] = true
	}
	return m
}()

// Detectable says whether DetectLanguage can ever name the language of this ISO
// 639-1 code.
func Detectable(code string) bool { return detectable[code] }

// DetectLanguage names the language of text by its ISO 639-1 code, as IFEval's
// language:response_language kwarg gives it. ok is false when no language can be
// detected (no letters of a script whatlanggo knows); the checkers then count the
// instruction as followed, as lm-eval does when langdetect raises.
func DetectLanguage(text string) (code string, ok bool) {
	info := whatlanggo.Detect(text)
	if info.Lang < 0 {
		return "", false
	}
	return langCode(info.Lang), true
}
