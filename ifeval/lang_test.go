package ifeval

import (
	"bufio"
	"os"
	"strings"
	"testing"
)

// lmEvalLanguages are the codes of lm-eval's LANGUAGE_CODES, the languages
// language:response_language asks for.
var lmEvalLanguages = []string{"en", "es", "pt", "ar", "hi", "fr", "ru", "de", "ja", "it", "bn", "uk", "th", "ur", "ta", "te", "bg", "ko", "pl", "he", "fa", "vi", "ne", "sw", "kn", "mr", "gu", "pa", "ml", "fi"}

func TestDetectable(t *testing.T) {
	for _, c := range lmEvalLanguages {
		if got, want := Detectable(c), c != "sw"; got != want {
			t.Errorf("Detectable(%q) = %v, want %v", c, got, want)
		}
	}
	if Detectable("xx") {
		t.Error(`Detectable("xx") = true`)
	}
}

// TestDetectLanguage checks a clear sentence in each language of testdata/languages.tsv
// (one per IFEval language, plus zh), as written and in capitals.
func TestDetectLanguage(t *testing.T) {
	f, err := os.Open("testdata/languages.tsv")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	seen := map[string]bool{}
	sc := bufio.NewScanner(f)
	for line := 1; sc.Scan(); line++ {
		want, text, ok := strings.Cut(sc.Text(), "\t")
		if !ok {
			t.Fatalf("languages.tsv:%d: no tab", line)
		}
		seen[want] = true
		if want == "sw" {
			// whatlanggo has no Swahili; it must at least not call it English.
			if got, _ := DetectLanguage(text); got == "en" || got == "sw" {
				t.Errorf("languages.tsv:%d: sw detected as %q", line, got)
			}
			continue
		}
		for _, s := range []string{text, strings.ToUpper(text)} {
			if got, ok := DetectLanguage(s); !ok || got != want {
				t.Errorf("languages.tsv:%d: DetectLanguage(%.30q) = %q, %v; want %q", line, s, got, ok, want)
			}
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	for _, c := range lmEvalLanguages {
		if !seen[c] {
			t.Errorf("languages.tsv has no sentence in %q", c)
		}
	}
}

func TestDetectLanguageEdges(t *testing.T) {
	cases := []struct {
		in   string
		want string
		ok   bool
	}{
		{"", "", false},
		{"12345 ... !!! 3.14", "", false},
		// google-research's instructions_test.py cases (short, mixed names).
		{"The response is English", "en", true},
		{"Desayunamos en McDonald's hoy", "es", true},
		{"Today we visit the Louvre", "en", true},
		// Markdown and code around English prose.
		{"## Summary\n\n* **First**, the parser reads `config.yaml` and checks every field.\n* Then it writes the result.", "en", true},
		// Mostly Russian with an English name inside.
		{"Вчера я купил новый iPhone в магазине рядом с домом, и он работает отлично.", "ru", true},
	}
	for _, c := range cases {
		got, ok := DetectLanguage(c.in)
		if got != c.want || ok != c.ok {
			t.Errorf("DetectLanguage(%q) = %q, %v; want %q, %v", c.in, got, ok, c.want, c.ok)
		}
	}
}
