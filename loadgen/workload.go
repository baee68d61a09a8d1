package loadgen

import (
	"math/rand/v2"
	"strconv"
	"strings"

	"github.com/quanteval/quanteval/client"
)

// Synthetic is a workload of made-up prompts of InputLen words, each asking for
// OutputLen tokens with ignore_eos, as vLLM's random data set does. Every prompt
// starts with its own number and draws its words from a seeded PCG, so that
// prompts differ from their first words and a prefix cache cannot serve one from
// another.
type Synthetic struct {
	InputLen  int // words (a word is one to two tokens for most tokenizers)
	OutputLen int // max_tokens
	Seed      uint64
}

var _ Workload = Synthetic{}

// words are common English words, short enough to be one token each in the
// tokenizers of the common model families.
var words = strings.Fields(`the of and to in is was for on that with as by at from it his
an be this are or which had not but have one were all their they has been its new more
other who two after first time only when also would year into can over most some any such
may these then than out them many where could state made three city about under between
world while each well part people during both through before later since used being
same life four five long back known high there work day left water order near land`)

// Request implements Workload.
func (s Synthetic) Request(i int) Request {
	rng := rand.New(rand.NewPCG(s.Seed, uint64(i)))
	var b strings.Builder
	b.WriteString(strconv.Itoa(i))
	for range max(s.InputLen-1, 0) {
		b.WriteByte(' ')
		b.WriteString(words[rng.IntN(len(words))])
	}
	return Request{Messages: []client.Message{{Role: "user", Content: b.String()}}, MaxTokens: s.OutputLen, IgnoreEOS: true}
}

// Prompts cycles through given requests (an eval set's prompts, say).
type Prompts []Request

var _ Workload = Prompts{}

// Request implements Workload.
func (p Prompts) Request(i int) Request { return p[i%len(p)] }
