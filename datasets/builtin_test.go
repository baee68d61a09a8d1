package datasets

import (
	"context"
	"testing"

	"github.com/quanteval/quanteval/evalset"
	"github.com/quanteval/quanteval/hub"
	"github.com/quanteval/quanteval/internal/hubtest"
	"github.com/quanteval/quanteval/score"
	"github.com/quanteval/quanteval/task"
)

// Rows of the built-in tasks' repos, with the column names and types the hub's
// parquet files have (nullable, as pyarrow writes them).
type (
	platinumRow struct {
		Question       string `parquet:"question,optional"`
		Answer         string `parquet:"answer,optional"`
		CleaningStatus string `parquet:"cleaning_status,optional"`
	}
	aimeRow struct {
		ID       int64  `parquet:"id,optional"`
		Problem  string `parquet:"problem,optional"`
		Solution string `parquet:"solution,optional"`
		Answer   string `parquet:"answer,optional"`
		URL      string `parquet:"url,optional"`
		Year     int64  `parquet:"year,optional"`
	}
	mmluProRow struct {
		QuestionID  int64    `parquet:"question_id,optional"`
		Question    string   `parquet:"question,optional"`
		Options     []string `parquet:"options,list"`
		Answer      string   `parquet:"answer,optional"`
		AnswerIndex int64    `parquet:"answer_index,optional"`
		CotContent  string   `parquet:"cot_content,optional"`
		Category    string   `parquet:"category,optional"`
		Src         string   `parquet:"src,optional"`
	}
	gpqaRow struct {
		RecordID  string `parquet:"Record ID,optional"`
		Question  string `parquet:"Question,optional"`
		Correct   string `parquet:"Correct Answer,optional"`
		Wrong1    string `parquet:"Incorrect Answer 1,optional"`
		Wrong2    string `parquet:"Incorrect Answer 2,optional"`
		Wrong3    string `parquet:"Incorrect Answer 3,optional"`
		Domain    string `parquet:"High-level domain,optional"`
		Subdomain string `parquet:"Subdomain,optional"`
		Writer    string `parquet:"Question Writer,optional"`
	}
	arcChoices struct {
		Text  []string `parquet:"text,list"`
		Label []string `parquet:"label,list"`
	}
	arcRow struct {
		ID        string     `parquet:"id,optional"`
		Question  string     `parquet:"question,optional"`
		Choices   arcChoices `parquet:"choices"`
		AnswerKey string     `parquet:"answerKey,optional"`
	}
)

// Each built-in spec opens from a stand-in hub serving its repo's layout and
// schema, and the right reply to its first item scores.
func TestBuiltinSpecsFromHub(t *testing.T) {
	s := hubtest.NewServer(t)
	s.Setenv(t)
	const commit = "0123456789abcdef0123456789abcdef01234567"
	pq := func(path string, data []byte) map[string][]byte { return map[string][]byte{path: data} }
	s.AddDataset("madrylab/gsm8k-platinum", commit, pq("main/test-00000-of-00001.parquet", hubtest.WriteParquet(t, []platinumRow{
		{"Tom has 2 apples and buys 3.", "2+3=<<2+3=5>>5\n#### 5", "consensus"},
		{"A bad question.", "#### 1", "rejected"},
		{"Ann has 4 pens and loses 1.", "4-1=3\n#### 3", "revised"},
	})))
	s.AddDataset("HuggingFaceH4/aime_2024", commit, pq("data/train-00000-of-00001.parquet", hubtest.WriteParquet(t, []aimeRow{
		{ID: 60, Problem: "Find the remainder.", Answer: "204", Year: 2024}, {ID: 61, Problem: "Find m+n.", Answer: "033", Year: 2024},
	})))
	s.AddDataset("yentinglin/aime_2025", commit, pq("data/train-00000-of-00001.parquet", hubtest.WriteParquet(t, []aimeRow{
		{ID: 0, Problem: "Find the sum of all bases.", Answer: "70", Year: 2025},
	})))
	s.AddDataset("TIGER-Lab/MMLU-Pro", commit, pq("data/test-00000-of-00001.parquet", hubtest.WriteParquet(t, []mmluProRow{
		{QuestionID: 70, Question: "Which?", Options: []string{"a", "b", "c", "d", "e", "f", "g", "h", "i", "j"}, Answer: "J", AnswerIndex: 9, Category: "law"},
	})))
	s.AddDatasetAt("Idavidrein/gpqa", "refs/convert/parquet", commit, pq("gpqa_diamond/train/0000.parquet", hubtest.WriteParquet(t, []gpqaRow{
		{RecordID: "rec06pnAkLOr2t2mp", Question: "Which isotope?", Correct: "carbon-14", Wrong1: "carbon-12", Wrong2: "carbon-13", Wrong3: "carbon-11", Domain: "Chemistry", Subdomain: "Physical Chemistry"},
	})))
	s.AddDataset("allenai/ai2_arc", commit, pq("ARC-Challenge/test-00000-of-00001.parquet", hubtest.WriteParquet(t, []arcRow{
		{ID: "Mercury_1", Question: "Which is a metal?", Choices: arcChoices{Text: []string{"wood", "iron", "glass"}, Label: []string{"1", "2", "3"}}, AnswerKey: "2"},
	})))
	for _, tc := range []struct {
		name   string
		items  int
		id     string
		answer any
		reply  func(it *evalset.Item) string
	}{
		{"gsm8k_platinum", 2, "gsm8k_platinum-test-0000", 5.0, func(*evalset.Item) string { return "The final answer is 5" }},
		{"aime24", 2, "aime24-60", "204", func(*evalset.Item) string { return `so \boxed{204}` }},
		{"aime25", 1, "aime25-0", "70", func(*evalset.Item) string { return `\boxed{070}` }},
		{"mmlu_pro", 1, "mmlu_pro-70", "J", func(*evalset.Item) string { return "Answer: J" }},
		{"gpqa_diamond", 1, "gpqa_diamond-rec06pnAkLOr2t2mp", nil, func(it *evalset.Item) string { return "Answer: " + it.Answer.(string) }},
		{"arc_challenge", 1, "arc_challenge-Mercury_1", "B", func(*evalset.Item) string { return "iron" }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sp, err := task.Builtin(tc.name)
			if err != nil {
				t.Fatal(err)
			}
			if n, ok := CachedRows(sp); ok {
				t.Errorf("%d rows counted before any download", n)
			}
			set, err := OpenTask(context.Background(), sp, tc.name, Options{Hub: hub.New(hub.ConfigFromEnv())})
			if err != nil {
				t.Fatal(err)
			}
			it := &set.Items[0]
			if len(set.Items) != tc.items || it.ID != tc.id || tc.answer != nil && it.Answer != tc.answer {
				t.Fatalf("%d items, first %+v", len(set.Items), *it)
			}
			if set.Source.Repo != sp.Source.Hub || set.Source.Revision != commit || set.MaxTokens != sp.Defaults.MaxTokens {
				t.Errorf("source %+v, max_tokens %d", set.Source, set.MaxTokens)
			}
			if o := score.ScoreOptions(it, it.Options, tc.reply(it)); !o.OK {
				t.Errorf("right reply %q scored %+v", tc.reply(it), o)
			}
			if n, ok := CachedRows(sp); !ok || n < int64(tc.items) {
				t.Errorf("cached rows %d, %t", n, ok)
			}
		})
	}
}
