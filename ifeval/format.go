package ifeval

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
)

var placeholderRE = regexp.MustCompile(`\[.*?\]`)

func numberPlaceholders(kw Kwargs) (checker, error) {
	want, err := need("num_placeholders", kw.NumPlaceholders)
	if err != nil {
		return nil, err
	}
	return func(s string) bool { return len(placeholderRE.FindAllStringIndex(s, -1)) >= want }, nil
}

// postscript looks for the marker anywhere in the lowercased reply (the pattern is
// not anchored, as in lm-eval); the two
// markers of the data match with optional spaces ("P. S.", "p.p.s").
func postscript(kw Kwargs) (checker, error) {
	marker := pyStrip(kw.PostscriptMarker)
	var pattern string
	switch marker {
	case "":
		return nil, fmt.Errorf("postscript_marker is null")
	case "P.P.S":
		pattern = `(?m)` + pyWS + `*p\.` + pyWS + `?p\.` + pyWS + `?s.*$`
	case "P.S.":
		pattern = `(?m)` + pyWS + `*p\.` + pyWS + `?s\..*$`
	default:
		pattern = `(?m)` + pyWS + `*` + regexOrLiteral(strings.ToLower(marker)) + `.*$`
	}
	re := regexp.MustCompile(pattern)
	return func(s string) bool { return re.MatchString(strings.ToLower(s)) }, nil
}

// regexOrLiteral keeps a data value that lm-eval uses as a regular expression as
// one, unless RE2 cannot compile it; then it is matched as plain text.
func regexOrLiteral(s string) string {
	if _, err := regexp.Compile(s); err == nil {
		return s
	}
	return regexp.QuoteMeta(s)
}

var (
	bulletStarRE = regexp.MustCompile(`(?m)^` + pyWS + `*\*[^\*].*$`)
	bulletDashRE = regexp.MustCompile(`(?m)^` + pyWS + `*-.*$`)
)

// numberBulletLists wants exactly num_bullets lines that start with "* " or "-".
func numberBulletLists(kw Kwargs) (checker, error) {
	want, err := need("num_bullets", kw.NumBullets)
	if err != nil {
		return nil, err
	}
	return func(s string) bool {
		n := len(bulletStarRE.FindAllStringIndex(s, -1)) + len(bulletDashRE.FindAllStringIndex(s, -1))
		return n == want
	}, nil
}

// constrainedOptions are the answers detectable_format:constrained_response allows.
var constrainedOptions = []string{"My answer is yes.", "My answer is no.", "My answer is maybe."}

func constrainedResponse(Kwargs) (checker, error) {
	return func(s string) bool {
		s = pyStrip(s)
		for _, o := range constrainedOptions {
			if strings.Contains(s, o) {
				return true
			}
		}
		return false
	}, nil
}

var (
	highlightRE       = regexp.MustCompile(`\*[^\n\*]*\*`)
	doubleHighlightRE = regexp.MustCompile(`\*\*[^\n\*]*\*\*`)
)

// numberHighlights counts *single* and, as lm-eval does (the original counts only
// the first kind), **double** highlights with some text inside.
func numberHighlights(kw Kwargs) (checker, error) {
	want, err := need("num_highlights", kw.NumHighlights)
	if err != nil {
		return nil, err
	}
	return func(s string) bool {
		n := 0
		for _, h := range highlightRE.FindAllString(s, -1) {
			if pyStrip(strings.Trim(h, "*")) != "" {
				n++
			}
		}
		for _, h := range doubleHighlightRE.FindAllString(s, -1) {
			if pyStrip(strings.TrimSuffix(strings.TrimPrefix(h, "**"), "**")) != "" {
				n++
			}
		}
		return n >= want
	}, nil
}

// multipleSections counts the splitter followed by a number ("Section 1"), case
// sensitive, anywhere in the text; at least num_sections are wanted.
func multipleSections(kw Kwargs) (checker, error) {
	splitter := pyStrip(kw.SectionSpliter)
	if splitter == "" {
		return nil, fmt.Errorf("section_spliter is null")
	}
	want, err := need("num_sections", kw.NumSections)
	if err != nil {
		return nil, err
	}
	re := regexp.MustCompile(pyWS + `?` + regexOrLiteral(splitter) + pyWS + `?\p{Nd}+` + pyWS + `?`)
	return func(s string) bool { return len(re.Split(s, -1))-1 >= want }, nil
}

// jsonFormat wants the whole reply to be one JSON value, optionally in a ``` fence
// (```json, ```Json, ```JSON or bare). Python's json.loads also takes NaN and
// Infinity; encoding/json does not, so such a reply fails here.
func jsonFormat(Kwargs) (checker, error) {
	return func(s string) bool {
		s = pyStrip(s)
		for _, p := range []string{"```json", "```Json", "```JSON", "```"} {
			s = strings.TrimPrefix(s, p)
		}
		s = pyStrip(strings.TrimSuffix(s, "```"))
		return json.Valid([]byte(s))
	}, nil
}

var titleRE = regexp.MustCompile(`<<[^\n]+>>`)

func title(Kwargs) (checker, error) {
	return func(s string) bool {
		for _, t := range titleRE.FindAllString(s, -1) {
			if pyStrip(strings.TrimRight(strings.TrimLeft(t, "<"), ">")) != "" {
				return true
			}
		}
		return false
	}, nil
}

// twoResponses wants exactly two different non-blank parts around "******"; a blank
// part is allowed only first or last.
func twoResponses(Kwargs) (checker, error) {
	return func(s string) bool {
		parts := strings.Split(s, "******")
		var valid []string
		for i, p := range parts {
			if pyStrip(p) == "" {
				if i != 0 && i != len(parts)-1 {
					return false
				}
				continue
			}
			valid = append(valid, p)
		}
		return len(valid) == 2 && pyStrip(valid[0]) != pyStrip(valid[1])
	}, nil
}

func repeatPrompt(kw Kwargs) (checker, error) {
	want := strings.ToLower(pyStrip(kw.PromptToRepeat))
	if want == "" {
		return nil, fmt.Errorf("prompt_to_repeat is null")
	}
	return func(s string) bool { return strings.HasPrefix(strings.ToLower(pyStrip(s)), want) }, nil
}

// endChecker wants the reply, trimmed and without surrounding double quotes, to end
// with the phrase, case-insensitively.
func endChecker(kw Kwargs) (checker, error) {
	want := strings.ToLower(pyStrip(kw.EndPhrase))
	if want == "" {
		return nil, fmt.Errorf("end_phrase is null")
	}
	return func(s string) bool {
		return strings.HasSuffix(strings.ToLower(strings.Trim(pyStrip(s), `"`)), want)
	}, nil
}

func quotation(Kwargs) (checker, error) {
	return func(s string) bool {
		s = pyStrip(s)
		return len(s) > 1 && s[0] == '"' && s[len(s)-1] == '"'
	}, nil
}

func capitalWordFrequency(kw Kwargs) (checker, error) {
	cmp, err := relation("capital_relation", kw.CapitalRelation, "capital_frequency", kw.CapitalFrequency)
	if err != nil {
		return nil, err
	}
	return func(s string) bool {
		n := 0
		for _, t := range wordTokens(s) {
			if pyIsUpper(t) {
				n++
			}
		}
		return cmp(n)
	}, nil
}

// englishCapital wants every cased letter in capitals and the text in English; text
// whose language cannot be detected passes, as in lm-eval.
func englishCapital(Kwargs) (checker, error) {
	return func(s string) bool { return pyIsUpper(s) && isEnglish(s) }, nil
}

func englishLowercase(Kwargs) (checker, error) {
	return func(s string) bool { return pyIsLower(s) && isEnglish(s) }, nil
}

func isEnglish(s string) bool {
	lang, ok := DetectLanguage(s)
	return !ok || lang == "en"
}

func noComma(Kwargs) (checker, error) {
	return func(s string) bool { return !strings.Contains(s, ",") }, nil
}
