package freeze

import (
	"bytes"
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/quanteval/quanteval/evalset"
	"github.com/quanteval/quanteval/result"
)

func refRun() *result.File {
	seed := int64(1)
	return &result.File{
		Schema: result.Schema, Complete: true, Model: "tiny:f32",
		Evalset: result.Evalset{Name: "openings"},
		Params:  result.Params{MaxTokens: 48, Seed: &seed},
		Items: []result.Record{
			{ID: "story-01", Type: evalset.TypeExact, Category: "story", Prompt: "Once upon a time", Output: " there was a cat. It was happy.\n"},
			{ID: "story-02", Type: evalset.TypeExact, Category: "story", Prompt: "The ball", Error: "timeout"},
			{ID: "story-03", Type: evalset.TypeExact, Category: "story", Prompt: "Tim", Output: " \n "},
			{ID: "story-04", Type: evalset.TypeExact, Prompt: "The dog", Output: ` said, "Hi!" Then he ran`},
		},
	}
}

func TestFreeze(t *testing.T) {
	tests := []struct {
		name          string
		firstSentence bool
		want          []evalset.Item
	}{
		{
			name: "exact",
			want: []evalset.Item{
				{ID: "story-01", Type: evalset.TypeExact, Category: "story", Prompt: "Once upon a time", Answer: " there was a cat. It was happy.\n"},
				{ID: "story-04", Type: evalset.TypeExact, Prompt: "The dog", Answer: ` said, "Hi!" Then he ran`},
			},
		},
		{
			name:          "first sentence",
			firstSentence: true,
			want: []evalset.Item{
				{ID: "story-01", Type: evalset.TypeContains, Category: "story", Prompt: "Once upon a time", Answer: []string{"there was a cat."}},
				{ID: "story-04", Type: evalset.TypeContains, Prompt: "The dog", Answer: []string{`said, "Hi!"`}},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Items(refRun(), nil, tt.firstSentence)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("got  %+v\nwant %+v", got, tt.want)
			}
			// What Items makes, evalset.WriteJSONL writes and evalset.Parse reads back unchanged.
			var buf bytes.Buffer
			if err := evalset.WriteJSONL(&buf, got); err != nil {
				t.Fatal(err)
			}
			back, err := evalset.Parse("frozen.jsonl", buf.Bytes())
			if err != nil {
				t.Fatalf("frozen set does not parse: %v\n%s", err, buf.String())
			}
			if !reflect.DeepEqual(back, tt.want) {
				t.Fatalf("read back %+v, want %+v", back, tt.want)
			}
		})
	}
}

func TestFreezeCarriesTheSystemMessage(t *testing.T) {
	f := refRun()
	f.Params.System = "Continue the story."
	items, err := Items(f, nil, false)
	if err != nil {
		t.Fatal(err)
	}
	for _, it := range items {
		if it.System != "Continue the story." {
			t.Errorf("%s: system %q, want the reference's", it.ID, it.System)
		}
	}
}

func TestFreezeRefuses(t *testing.T) {
	incomplete := refRun()
	incomplete.Complete = false
	if _, err := Items(incomplete, nil, false); !errors.Is(err, result.ErrIncomplete) {
		t.Errorf("incomplete run: err = %v, want result.ErrIncomplete", err)
	}
	empty := refRun()
	empty.Items = empty.Items[1:3] // an error and a blank output
	if _, err := Items(empty, nil, false); err == nil || !strings.Contains(err.Error(), "no item") {
		t.Errorf("nothing to freeze: err = %v", err)
	}
}

func TestHeader(t *testing.T) {
	h := Header(refRun(), false)
	for _, want := range []string{"tiny:f32", "openings", "exact", "--max-tokens 48", "--seed 1", `--system ""`} {
		if !strings.Contains(h, want) {
			t.Errorf("header lacks %q:\n%s", want, h)
		}
	}
	// The header must not stop the set from parsing.
	data := h + `{"id": "a", "type": "exact", "prompt": "p", "answer": "x"}` + "\n"
	if _, err := evalset.Parse("frozen.jsonl", []byte(data)); err != nil {
		t.Errorf("header breaks parsing: %v", err)
	}
}

func TestFirstSentence(t *testing.T) {
	tests := []struct{ in, want string }{
		{" there was a cat. It was happy.", "there was a cat."},
		{"Stop! Then go.", "Stop!"},
		{"Why? Because.", "Why?"},
		{`He said, "Hi!" Then he ran.`, `He said, "Hi!"`},
		{`"Wow." She smiled.`, `"Wow."`},
		{"3.5 apples and more", "3.5 apples and more"}, // a point inside a number ends nothing
		{"no end at all", "no end at all"},
		{"one sentence.", "one sentence."},
		{"line one.\nline two.", "line one."},
		{"Ça va? Oui.", "Ça va?"},
		{"  ", ""},
	}
	for _, tt := range tests {
		if got := FirstSentence(tt.in); got != tt.want {
			t.Errorf("FirstSentence(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestFreezeFromTheSet(t *testing.T) {
	set := &evalset.Set{Items: []evalset.Item{
		{ID: "conv", Type: evalset.TypeExact, Answer: "x", System: "be a pirate", Messages: []evalset.Message{
			{Role: "user", Content: "hi"}, {Role: "assistant", Content: "arr"}, {Role: "user", Content: "tell a story"}}},
		{ID: "think", Type: evalset.TypeExact, Answer: "x", Prompt: "2+2?"},
		{ID: "cut", Type: evalset.TypeExact, Answer: "x", Prompt: "long?"},
	}}
	f := &result.File{Complete: true, Items: []result.Record{
		{ID: "conv", Prompt: "tell a story", Output: "Once upon a time"},
		{ID: "think", Prompt: "2+2?", Output: "<think>two and two</think>4"},
		{ID: "cut", Prompt: "long?", Output: "<think>still thinking"},
	}}
	items, err := Items(f, set, false)
	if err != nil {
		t.Fatal(err)
	}
	if len(items) != 2 {
		t.Fatalf("%d items, want 2 (the cut-off thinking has no answer)", len(items))
	}
	if c := items[0]; len(c.Messages) != 3 || c.Prompt != "" || c.System != "be a pirate" || c.Answer != "Once upon a time" {
		t.Errorf("conversation not kept: %+v", c)
	}
	if th := items[1]; th.Answer != "4" {
		t.Errorf("think block kept in the answer: %q", th.Answer)
	}
}
