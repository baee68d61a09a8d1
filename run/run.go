package run

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/quanteval/quanteval/client"
	"github.com/quanteval/quanteval/codetask"
	"github.com/quanteval/quanteval/evalset"
	"github.com/quanteval/quanteval/redact"
	"github.com/quanteval/quanteval/result"
	"github.com/quanteval/quanteval/score"
)

// Chatter sends one chat completion; *client.Client is one.
type Chatter interface {
	Chat(ctx context.Context, req client.Request) (*client.Response, error)
}

// Streamer sends one chat completion as a stream and times it; *client.Client is
// one. A Chatter that is also a Streamer is streamed to unless Config.NoStream.
//
// The answer of a streamed reply is assembled by the client so that it scores as the
// same reply sent whole would (client/stream.go); log-probabilities come in the
// chunks and are kept alike, so the side file does not change.
type Streamer interface {
	ChatStream(ctx context.Context, req client.Request) (*client.StreamReply, error)
}

var (
	_ Chatter  = (*client.Client)(nil)
	_ Streamer = (*client.Client)(nil)
	_ Chatter  = (*client.Pool)(nil)
	_ Streamer = (*client.Pool)(nil)
)

// ErrUnreachable ends a run whose every request so far failed to reach the server.
var ErrUnreachable = errors.New("the server did not answer")

// ErrAllFailed ends a run in which every item failed with an error.
var ErrAllFailed = errors.New("the run evaluated nothing")

// ErrKeyRefused ends a run whose every request the server refused with a 401 or 403:
// the server answered, but not to this key.
var ErrKeyRefused = errors.New("the server refused the API key")

// Defaults fills in the zero fields of cfg.
func (cfg *Config) Defaults() {
	if cfg.BaseURL == "" {
		cfg.BaseURL = "http://127.0.0.1:8000"
	}
	if cfg.Concurrency <= 0 {
		cfg.Concurrency = 4
	}
	if cfg.MaxTokens <= 0 {
		cfg.MaxTokens = 256
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 1200 * time.Second
	}
	if cfg.Grace <= 0 {
		cfg.Grace = 5 * time.Second
	}
}

func (cfg *Config) system() string {
	if cfg.System == nil {
		return DefaultSystem
	}
	return *cfg.System
}

// Evaluate runs set against the endpoint in cfg with a client of its own.
func Evaluate(ctx context.Context, cfg Config, set *evalset.Set) (*result.File, error) {
	cfg.Defaults()
	c, err := client.New(cfg.BaseURL, ClientOptions(cfg))
	if err != nil {
		return nil, err
	}
	return EvaluateWith(ctx, cfg, set, c, c.Version(ctx))
}

// ClientOptions are the options of the client a run under cfg asks with: its key,
// timeout and retries, and no more connections than its concurrency (each is a file
// descriptor, and the result's write needs one).
func ClientOptions(cfg Config) client.Options {
	return client.Options{APIKey: cfg.APIKey, Timeout: cfg.Timeout, Retries: cfg.Retries, MaxConns: cfg.Concurrency}
}

// outcome is what a worker hands the consumer.
type outcome struct {
	index  int
	resp   *client.Response
	timing *client.Timing // of a streamed reply
	err    error
	lat    time.Duration

	code    *codetask.Record // a code item's program, judged (exec.go)
	codeErr error            // why it could not be judged
}

// EvaluateWith runs set through chat. serverVersion is recorded as given. set itself
// is not changed: cfg.Limit applies to a copy.
//
// The result is returned, and written to cfg.Out, even when the run is interrupted
// (Complete false, with an error wrapping ctx.Err()).
func EvaluateWith(ctx context.Context, cfg Config, set *evalset.Set, chat Chatter, serverVersion string) (_ *result.File, err error) {
	cfg.Defaults()
	if err := check(&cfg); err != nil {
		return nil, err
	}
	limited := *set
	limited.Limit(cfg.Limit)
	set = &limited
	whole := len(set.Items)
	set, sh := selectShard(cfg, set)
	ex, err := newExecutor(ctx, cfg, set.Items)
	if err != nil {
		return nil, err
	}

	lock, err := lockOutput(cfg) // one writer per output, until the result is written
	if err != nil {
		return nil, err
	}
	defer func() { err = errors.Join(err, lock.Release()) }()
	rd := cfg.secrets()
	f := newFile(cfg, set, serverVersion)
	hideParams(&f.Params, rd)
	ex.note(f)
	if sh != nil {
		f.Evalset.Count, f.Shard = whole, sh
	}
	st := newState(set.Items, cfg.samples())
	jr, side, err := openFiles(cfg, set, st, f, rd)
	if err != nil {
		return nil, err
	}
	defer func() { err = errors.Join(err, jr.close(), side.close()) }()

	todo := st.todo()
	prog := newProgress(cfg.Progress, len(st.records), len(st.records)-len(todo), st.countOK(), progressEvery)
	defer prog.finish()

	reqCtx, cancelReqs := requestContext(ctx, cfg)
	defer cancelReqs()
	out := ex.stage(reqCtx, st.item, len(st.records), startPool(ctx, reqCtx, cfg, chat, st, todo))
	c := consumer{st: st, jr: jr, side: side, prog: prog, concurrency: cfg.Concurrency, rd: rd}
	c.consume(ctx, out, cancelReqs)

	runErr := finish(ctx, f, st, &c)
	if ic, ok := chat.(interface{ CloseIdleConnections() }); ok {
		ic.CloseIdleConnections() // their file descriptors may be what the write needs
	}
	if err := writeResult(cfg, f); err != nil {
		return f, errors.Join(runErr, err)
	}
	return f, runErr
}

// check refuses settings that cannot work together and normalises the extra body.
func check(cfg *Config) error {
	if cfg.Model == "" {
		return errors.New("run: no model")
	}
	if cfg.Out == "-" && (cfg.Resume || cfg.Logprobs > 0) {
		return errors.New("run: --resume and --logprobs need a result file: give --out PATH")
	}
	if err := checkRepeats(cfg); err != nil {
		return err
	}
	extra, err := normaliseExtra(cfg.ExtraBody)
	if err != nil {
		return err
	}
	cfg.ExtraBody = extra
	return nil
}

// openFiles opens the journal beside cfg.Out (taking its records when resuming) and,
// with logprobs, the side file; both are nil when the result is not written to a file.
// rd's values are hidden in the journal's header, as in the result's params.
// The caller closes both (close on nil is a no-op).
func openFiles(cfg Config, set *evalset.Set, st *state, f *result.File, rd *redact.Redactor) (jr *journal, side *sideFile, err error) {
	if cfg.Out == "" || cfg.Out == "-" {
		return nil, nil, nil
	}
	if err := os.MkdirAll(filepath.Dir(cfg.Out), 0o755); err != nil {
		return nil, nil, err
	}
	fp := fingerprint{Fingerprint: result.Fingerprint{Model: cfg.Model, Evalset: set.SHA256,
		Temperature: cfg.Temperature, MaxTokens: cfg.MaxTokens, Seed: cfg.Seed, System: cfg.system(),
		ExtraBody: cfg.samplingBody(), Logprobs: cfg.Logprobs},
		Shard: shardText(cfg.Shard)}.hide(rd)
	jpath := JournalPath(cfg.Out)
	if cfg.Resume {
		var prev []result.Record
		if jr, prev, err = openJournal(jpath, fp); err != nil {
			return nil, nil, err
		}
		jr.report(cfg.notes(), f)
		st.resumeFrom(prev)
	} else {
		// A journal left by an earlier run is kept aside, not wiped: forgetting
		// --resume must not lose finished work.
		if err := keepAside(jpath); err != nil {
			return nil, nil, err
		}
		if jr, err = createJournal(jpath, fp); err != nil {
			return nil, nil, err
		}
	}
	if cfg.Logprobs > 0 {
		f.Logprobs = filepath.Base(LogprobsPath(cfg.Out))
		if side, err = openSideFile(LogprobsPath(cfg.Out), cfg.Resume); err != nil {
			return nil, nil, errors.Join(err, jr.close())
		}
	}
	return jr, side, nil
}

// requestContext is the context the requests run on: a stop ends the feed at once but
// gives the requests in flight cfg.Grace to finish, so their answers are kept; closing
// cfg.StopNow ends the grace at once. The cancel func ends it all.
func requestContext(ctx context.Context, cfg Config) (context.Context, context.CancelFunc) {
	reqCtx, cancelReqs := context.WithCancel(context.WithoutCancel(ctx))
	stopGrace := context.AfterFunc(ctx, func() {
		t := time.AfterFunc(cfg.Grace, cancelReqs)
		context.AfterFunc(reqCtx, func() { t.Stop() })
	})
	if cfg.StopNow != nil {
		go func() { // ends with the run: reqCtx is cancelled on return
			select {
			case <-cfg.StopNow:
				cancelReqs()
			case <-reqCtx.Done():
			}
		}()
	}
	return reqCtx, func() { stopGrace(); cancelReqs() }
}

// startPool starts the feed and cfg.Concurrency workers; the returned channel carries
// every answer and is closed once the feed has ended and every worker is done.
func startPool(ctx, reqCtx context.Context, cfg Config, chat Chatter, st *state, todo []int) <-chan outcome {
	feed := make(chan int)
	out := make(chan outcome, cfg.Concurrency)
	go func() {
		defer close(feed)
		for _, i := range todo {
			select {
			case feed <- i:
			case <-ctx.Done():
				return
			case <-reqCtx.Done():
				return
			}
		}
	}()
	var wg sync.WaitGroup
	var streaming atomic.Bool
	streaming.Store(!cfg.NoStream)
	var noteOnce sync.Once
	note := func(msg string) {
		noteOnce.Do(func() {
			if w := cfg.notes(); w != nil {
				fmt.Fprintln(w, "\nnote: "+msg)
			}
		})
	}
	for range min(cfg.Concurrency, max(len(todo), 1)) {
		wg.Go(func() {
			for i := range feed {
				req := st.request(cfg, i)
				start := time.Now()
				resp, timing, err := ask(reqCtx, chat, req, &streaming, note)
				out <- outcome{index: i, resp: resp, timing: timing, err: err, lat: time.Since(start)}
			}
		})
	}
	go func() {
		wg.Wait()
		close(out)
	}()
	return out
}

// ask sends one request, streamed while streaming holds and chat can stream. Two
// servers are then asked plainly, this request again and all later ones, with a
// note: one that answers a streamed request with one JSON document (it does not
// stream), and one whose stream carries no log-probabilities when they were asked
// for and the reply has text (the side file must be what a plain run writes).
func ask(ctx context.Context, chat Chatter, req client.Request, streaming *atomic.Bool, note func(string)) (*client.Response, *client.Timing, error) {
	if s, ok := chat.(Streamer); ok && streaming.Load() {
		rep, err := s.ChatStream(ctx, req)
		switch {
		case err == nil && req.TopLogprobs > 0 && len(rep.Logprobs) == 0 && rep.Content != nil && *rep.Content != "":
			if streaming.CompareAndSwap(true, false) {
				note("the server streams no log-probabilities: asking without streaming (no timings) from now on")
			}
		case err == nil:
			return rep.Response, &rep.Timing, nil
		case !errors.Is(err, client.ErrNotStreamed):
			return nil, nil, err
		default:
			if streaming.CompareAndSwap(true, false) {
				note("the server does not stream: asking without streaming (no timings) from now on; --stream=false says so at the start")
			}
		}
	}
	resp, err := chat.Chat(ctx, req)
	return resp, nil, err
}

// consumer is the single reader of the pool's answers: it scores, journals and shows
// progress, and cuts the run short on a write error or a server that never answers.
type consumer struct {
	st          *state
	jr          *journal
	side        *sideFile
	prog        *progress
	concurrency int
	rd          *redact.Redactor // hides the key a server echoes in an error

	writeErr     error
	succeeded    int
	failedInARow int
	refused      int  // of failedInARow, the 401s and 403s
	refusedCode  int  // the last one's status
	stopped      bool // the consumer itself cut the run short
}

// consume reads out until it is closed.
func (c *consumer) consume(ctx context.Context, out <-chan outcome, cancelReqs context.CancelFunc) {
	for o := range out {
		it := c.st.item(o.index)
		rec := record(it, o)
		rec.Sample = c.st.sampleField(o.index)
		rec.Error = c.rd.String(rec.Error)
		if o.err != nil && errors.Is(o.err, context.Canceled) && (ctx.Err() != nil || c.stopped) {
			continue // cut off by a stop: not finished, so not recorded
		}
		c.st.records[o.index], c.st.done[o.index] = rec, true
		// The side line goes first: the journal record is what marks an item done.
		if c.side != nil && o.resp != nil && c.writeErr == nil {
			c.writeErr = c.side.append(it.ID, o.resp.Logprobs)
		}
		if c.jr != nil && c.writeErr == nil {
			c.writeErr = c.jr.append(rec)
		}
		c.prog.add(rec.OK, rec.Error != "")
		if rec.Error == "" {
			c.succeeded++
			c.failedInARow, c.refused = 0, 0
		} else {
			c.failedInARow++
			if code, ok := client.RefusedKey(o.err); ok {
				c.refused, c.refusedCode = c.refused+1, code
			}
		}
		if c.writeErr != nil || (c.succeeded == 0 && c.failedInARow >= max(8, 2*c.concurrency)) {
			c.stopped = true
			cancelReqs()
		}
	}
}

// finish fills in the result's items, summary and times, and returns the run's error:
// a write error, an interruption, a server that never answered, or nothing evaluated.
func finish(ctx context.Context, f *result.File, st *state, c *consumer) error {
	final := st.final()
	f.Items = final
	f.Summary = result.Summarize(final)
	f.Params.Stream = f.Summary.Timing != nil
	f.Complete = len(final) == len(st.records)
	f.FinishedAt = time.Now().UTC()
	f.DurationS = f.FinishedAt.Sub(f.StartedAt).Seconds()

	switch {
	case c.writeErr != nil:
		return c.writeErr
	case !f.Complete && ctx.Err() != nil:
		return fmt.Errorf("interrupted after %d of %d items: %w", len(final), len(st.records), ctx.Err())
	case c.succeeded == 0 && c.refused > 0 && c.refused == c.failedInARow:
		return fmt.Errorf("%w (HTTP %d): set it with --api-key-env / OPENAI_API_KEY; the first %d requests were all refused, last: %s",
			ErrKeyRefused, c.refusedCode, c.refused, lastError(final))
	case c.succeeded == 0 && c.failedInARow > 0 && !f.Complete:
		return fmt.Errorf("%w: the first %d requests all failed, last: %s", ErrUnreachable, c.failedInARow, lastError(final))
	case !f.Complete:
		return fmt.Errorf("run stopped after %d of %d items", len(final), len(st.records))
	case f.Summary.Count > 0 && f.Summary.Errors == f.Summary.Count:
		// Nothing was evaluated: an accuracy of 0 here would be a lie.
		return fmt.Errorf("%w: every request failed, last: %s", ErrAllFailed, lastError(final))
	}
	return nil
}

func newFile(cfg Config, set *evalset.Set, serverVersion string) *result.File {
	f := &result.File{
		Schema:  result.Schema,
		Tool:    cfg.Tool,
		Model:   cfg.Model,
		BaseURL: redactURLs(cfg.BaseURL),
		Server:  result.ServerInfo{Version: serverVersion},
		Evalset: result.Evalset{Name: set.Name, Path: set.Path, SHA256: set.SHA256, Count: len(set.Items)},
		Params: result.Params{Temperature: cfg.Temperature, MaxTokens: cfg.MaxTokens, Concurrency: cfg.Concurrency,
			TimeoutS: cfg.Timeout.Seconds(), Retries: cfg.Retries, Seed: cfg.Seed, System: cfg.system(),
			ExtraBody: cfg.ExtraBody, Limit: cfg.Limit, Logprobs: cfg.Logprobs, Repeats: cfg.paramRepeats(),
			TopP: cfg.TopP, TopK: cfg.TopK, MinP: cfg.MinP, PresencePenalty: cfg.PresencePenalty},
		StartedAt: time.Now().UTC(),
	}
	if set.Source != nil {
		f.Evalset.Source, _ = json.Marshal(set.Source)
	}
	return f
}

func writeResult(cfg Config, f *result.File) error {
	switch cfg.Out {
	case "":
		return nil
	case "-":
		data, err := result.Marshal(f)
		if err != nil {
			return err
		}
		if cfg.Stdout == nil {
			return errors.New("run: --out - needs a standard output")
		}
		_, err = cfg.Stdout.Write(data)
		return err
	}
	return result.Write(cfg.Out, f)
}

// normaliseExtra checks that the extra body is a JSON object and returns it compact.
func normaliseExtra(b json.RawMessage) (json.RawMessage, error) {
	if len(b) == 0 || strings.TrimSpace(string(b)) == "null" {
		return json.RawMessage("{}"), nil
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("extra body: want a JSON object: %w", err)
	}
	out, err := json.Marshal(m)
	return out, err
}

// Request is the chat request a run under cfg sends for it: a load test of an eval
// set's prompts sends the same.
func Request(cfg Config, it *evalset.Item) client.Request { return request(cfg, it) }

func request(cfg Config, it *evalset.Item) client.Request {
	sys := cfg.system()
	if it.System != "" {
		sys = it.System
	}
	chat := it.Chat()
	msgs := make([]client.Message, 0, len(chat)+1)
	if sys != "" && (len(chat) == 0 || chat[0].Role != "system") {
		msgs = append(msgs, client.Message{Role: "system", Content: sys})
	}
	for _, m := range chat {
		msgs = append(msgs, client.Message{Role: m.Role, Content: m.Content})
	}
	return client.Request{Model: cfg.Model, Messages: msgs, Temperature: cfg.Temperature, MaxTokens: cfg.MaxTokens,
		Seed: cfg.Seed, TopLogprobs: cfg.Logprobs, Extra: cfg.ExtraBody,
		TopP: cfg.TopP, TopK: cfg.TopK, MinP: cfg.MinP, PresencePenalty: cfg.PresencePenalty}
}

// record scores one outcome.
func record(it *evalset.Item, o outcome) result.Record {
	r := result.Record{ID: it.ID, Type: it.Type, Category: it.Category, Prompt: promptText(it), Expected: it.Answer,
		OptionOrder: it.Order, LatencyMS: o.lat.Milliseconds()}
	if o.err != nil {
		r.Error = o.err.Error()
		r.Reason = "error"
		r.Attempts = attemptsOf(o.err)
		return r
	}
	resp := o.resp
	r.Attempts = resp.Attempts
	if rep := resp.Replica; rep != nil {
		r.Replica = &result.Replica{Index: rep.Index, URL: rep.URL}
	}
	r.Reasoning = resp.Reasoning
	r.FinishReason = resp.FinishReason
	r.Usage = result.Usage{PromptTokens: resp.Usage.PromptTokens, CompletionTokens: resp.Usage.CompletionTokens}
	if t := o.timing; t != nil {
		r.Timing = &result.Timing{TTFTMs: roundMs(t.TTFTMs), E2ELMs: roundMs(t.E2ELMs), OutputTokens: t.OutputTokens,
			OutputTokensEstimated: t.OutputTokensEstimated, TPOTMs: roundMs(t.TPOTMs), MeanITLMs: roundMs(t.MeanITLMs)}
	}
	if n := resp.ReasoningTokens; n != nil {
		r.Usage.CompletionTokensDetails = &result.TokensDetails{ReasoningTokens: *n}
	}
	content := ""
	if resp.Content != nil {
		content = *resp.Content
	}
	r.Output = content
	if it.Type == score.TypeCode {
		codeVerdict(&r, o)
		return r
	}
	v := score.ScoreOptions(it, it.Options, content)
	r.OK, r.Extracted, r.Reason, r.Scores = v.OK, v.Extracted, v.Reason, v.Scores
	r.Normalized, r.NormalizedExpected = v.Normalized, v.NormalizedExpected
	if v.IFEval != nil {
		r.Instructions = v.IFEval.Instructions
	}
	return r
}

// promptText is what a report shows as the item's question: the prompt, or the last
// user turn of a conversation.
func promptText(it *evalset.Item) string {
	if it.Prompt != "" {
		return it.Prompt
	}
	for i := len(it.Messages) - 1; i >= 0; i-- {
		if it.Messages[i].Role == "user" {
			return it.Messages[i].Content
		}
	}
	return ""
}

// roundMs keeps a duration in milliseconds to the microsecond.
func roundMs(ms float64) float64 { return math.Round(ms*1000) / 1000 }

func attemptsOf(err error) int {
	var ae *client.AttemptError
	if errors.As(err, &ae) {
		return ae.Attempts
	}
	return 1
}

func lastError(recs []result.Record) string {
	for i := len(recs) - 1; i >= 0; i-- {
		if recs[i].Error != "" {
			return recs[i].Error
		}
	}
	return ""
}

// redactURLs redacts each of a comma-separated list of base URLs (the replicas of
// a run on several).
func redactURLs(s string) string {
	urls := strings.Split(s, ",")
	for i, u := range urls {
		urls[i] = redact.URL(u)
	}
	return strings.Join(urls, ",")
}

// keepAside renames an earlier run's journal to PATH.prev, replacing an older one.
func keepAside(jpath string) error {
	st, err := os.Stat(jpath)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	if st.Size() == 0 {
		return nil
	}
	if err := os.Rename(jpath, jpath+".prev"); err != nil {
		return fmt.Errorf("journal: keeping the earlier one: %w", err)
	}
	return nil
}
