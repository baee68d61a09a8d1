package vllmtest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"sync"
	"testing"
	"time"
)

func TestFaults(t *testing.T) {
	tests := []struct {
		name       string
		fault      Fault
		opts       Options
		status     int    // 0: the request fails with no response
		retryAfter string // "-": no header
		check      func(t *testing.T, data []byte)
	}{
		{name: "429", fault: Fault429, status: 429, retryAfter: "0", check: func(t *testing.T, d []byte) {
			checkError(t, d, false, 429, "RateLimitError", "Too many requests")
		}},
		{name: "429 Retry-After 1", fault: Fault429, opts: Options{RetryAfter: "1"}, status: 429, retryAfter: "1"},
		{name: "429 without Retry-After", fault: Fault429, opts: Options{RetryAfter: "-", ErrorShape: ErrorFlat}, status: 429, retryAfter: "-", check: func(t *testing.T, d []byte) {
			checkError(t, d, true, 429, "RateLimitError", "Too many requests")
		}},
		{name: "500", fault: Fault500, status: 500, retryAfter: "-", check: func(t *testing.T, d []byte) {
			checkError(t, d, false, 500, "InternalServerError", "EngineCore")
		}},
		{name: "drop", fault: FaultDrop},
		{name: "truncated", fault: FaultTruncated, status: 200, retryAfter: "-", check: func(t *testing.T, d []byte) {
			var v chatResponse
			if err := json.Unmarshal(d, &v); err == nil || !bytes.HasPrefix(d, []byte(`{"id":"chatcmpl-`)) {
				t.Errorf("truncated body %s decoded (%v), want a cut-off response", d, err)
			}
		}},
		{name: "400 context length", fault: Fault400, status: 400, retryAfter: "-", check: func(t *testing.T, d []byte) {
			checkError(t, d, false, 400, "BadRequestError",
				"This model's maximum context length is 4096 tokens. However, you requested 5000 tokens (15 in the messages, 4985 in the completion). Please reduce the length of the messages or completion.")
		}},
		{name: "400 small context, forced", fault: Fault400, opts: Options{MaxModelLen: 10000}, status: 400, retryAfter: "-", check: func(t *testing.T, d []byte) {
			checkError(t, d, false, 400, "BadRequestError", "maximum context length is 10000 tokens. However, you requested 10904 tokens (15 in the messages, 10889 in the completion)")
		}},
		{name: "400 old shape", fault: FaultOldError400, status: 400, retryAfter: "-", check: func(t *testing.T, d []byte) {
			checkError(t, d, true, 400, "BadRequestError", "This model's maximum context length is 4096 tokens.")
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			opts := tc.opts
			var seen []int
			var mu sync.Mutex
			opts.Faults = func(n int, req ChatRequest) Fault {
				mu.Lock()
				defer mu.Unlock()
				seen = append(seen, n)
				if n == 1 {
					return tc.fault
				}
				return FaultNone
			}
			s, hs := Start(t, opts)
			body := userMsg("q")
			body["max_tokens"] = 4985
			resp, data, err := post(t, t.Context(), hs.URL, body)
			switch {
			case tc.status == 0:
				if err == nil {
					t.Fatalf("got %d %s, want a dropped connection", resp.StatusCode, data)
				}
			case err != nil:
				t.Fatal(err)
			case resp.StatusCode != tc.status:
				t.Fatalf("status %d, want %d: %s", resp.StatusCode, tc.status, data)
			default:
				if ra, ok := resp.Header["Retry-After"]; tc.retryAfter == "-" && ok || tc.retryAfter != "-" && (len(ra) != 1 || ra[0] != tc.retryAfter) {
					t.Errorf("Retry-After = %q, want %q", ra, tc.retryAfter)
				}
				if tc.check != nil {
					tc.check(t, data)
				}
			}
			// The second request is fine: faults are per request.
			resp, data, err = post(t, t.Context(), hs.URL, userMsg("q"))
			if err != nil || resp.StatusCode != 200 {
				t.Fatalf("second request: %v %s", err, data)
			}
			if s.Requests() != 2 || !slices.Equal(seen, []int{1, 2}) {
				t.Errorf("Requests %d, Faults saw %v; want 2 and [1 2]", s.Requests(), seen)
			}
			waitFor(t, func() bool { return s.InFlight() == 0 })
		})
	}
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	for !cond() {
		if t.Context().Err() != nil {
			t.Fatal("condition never held")
		}
		time.Sleep(time.Millisecond)
	}
}

func TestStall(t *testing.T) {
	s, hs := Start(t, Options{Faults: FaultTimes(FaultStall, 2, nil)})

	// A stalled request ends when its client gives up.
	ctx, cancel := context.WithCancel(t.Context())
	errc := make(chan error, 1)
	go func() { _, _, err := post(t, ctx, hs.URL, userMsg("q")); errc <- err }()
	if err := s.WaitInFlight(t.Context(), 1); err != nil {
		t.Fatal(err)
	}
	cancel()
	if err := <-errc; !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled stall: err = %v, want context.Canceled", err)
	}
	waitFor(t, func() bool { return s.InFlight() == 0 })

	// Close releases a stalled request with a dropped connection.
	go func() { _, _, err := post(t, t.Context(), hs.URL, userMsg("q")); errc <- err }()
	if err := s.WaitInFlight(t.Context(), 1); err != nil {
		t.Fatal(err)
	}
	s.Close()
	if err := <-errc; err == nil {
		t.Error("stall released by Close: no error, want a dropped connection")
	}
	// The fault was for two requests only.
	if resp, data, err := post(t, t.Context(), hs.URL, userMsg("q")); err != nil || resp.StatusCode != 200 {
		t.Fatalf("third request: %v %s", err, data)
	}
	if s.Requests() != 3 {
		t.Errorf("Requests = %d, want 3", s.Requests())
	}
}

func TestConcurrencyCounters(t *testing.T) {
	gate := make(chan struct{})
	s, hs := Start(t, Options{Gate: gate})
	const n = 5
	var wg sync.WaitGroup
	codes := make([]int, n)
	for i := range n {
		wg.Go(func() {
			resp, _, err := post(t, t.Context(), hs.URL, userMsg(fmt.Sprint(i)))
			if err == nil {
				codes[i] = resp.StatusCode
			}
		})
	}
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	if err := s.WaitInFlight(ctx, n); err != nil {
		t.Fatal(err)
	}
	if s.InFlight() != n || s.MaxInFlight() != n || s.Requests() != n {
		t.Errorf("held: InFlight %d MaxInFlight %d Requests %d, want %d each", s.InFlight(), s.MaxInFlight(), s.Requests(), n)
	}
	gate <- struct{}{} // one goes
	waitFor(t, func() bool { return s.InFlight() == n-1 })
	close(gate) // the rest go
	wg.Wait()
	if s.InFlight() != 0 || s.MaxInFlight() != n || s.Requests() != n {
		t.Errorf("done: InFlight %d MaxInFlight %d Requests %d, want 0, %d, %d", s.InFlight(), s.MaxInFlight(), s.Requests(), n, n)
	}
	if !slices.Equal(codes, []int{200, 200, 200, 200, 200}) {
		t.Errorf("status codes %v", codes)
	}
}

func TestCapture(t *testing.T) {
	s, hs := Start(t, Options{Capture: true, CaptureLimit: 3, Answer: func(r ChatRequest) Reply {
		// Raw is filled when capturing, so an answer can look at extra body keys.
		kw, _ := r.Raw["chat_template_kwargs"].(map[string]any)
		return Reply{Content: Text(fmt.Sprintf("%v %v %d %d %v", *r.Temperature, kw["enable_thinking"], *r.Seed, r.MaxTokens, r.TopLogprobs))}
	}})
	for i := range 5 {
		b := userMsg(fmt.Sprint("q", i))
		b["temperature"] = 0.0
		b["max_completion_tokens"] = 64
		b["seed"] = 7
		b["logprobs"] = true
		b["top_logprobs"] = 5
		b["chat_template_kwargs"] = map[string]any{"enable_thinking": false}
		resp, data, err := post(t, t.Context(), hs.URL, b, "Authorization", fmt.Sprint("Bearer k", i))
		if err != nil || resp.StatusCode != 200 {
			t.Fatalf("request %d: %v %s", i, err, data)
		}
		var got chatResponse
		json.Unmarshal(data, &got)
		if c := got.Choices[0].Message.Content; c == nil || *c != "0 false 7 64 5" {
			t.Errorf("answer from the request's fields = %s, want \"0 false 7 64 5\"", show(c))
		}
	}
	bodies := s.Bodies()
	var users []string
	for _, b := range bodies {
		msgs := b["messages"].([]any)
		users = append(users, msgs[1].(map[string]any)["content"].(string))
		if b["temperature"] != 0.0 || b["seed"] != 7.0 || b["max_completion_tokens"] != 64.0 || b["logprobs"] != true {
			t.Errorf("captured body %v", b)
		}
	}
	if !slices.Equal(users, []string{"q2", "q3", "q4"}) {
		t.Errorf("Bodies() hold %v, want the last three in order", users)
	}
	if last := s.LastBody(); !reflect.DeepEqual(last, bodies[2]) {
		t.Errorf("LastBody() = %v, want %v", last, bodies[2])
	}
	if s.LastAuth() != "Bearer k4" {
		t.Errorf("LastAuth() = %q, want \"Bearer k4\"", s.LastAuth())
	}
	get(t, hs.URL+"/health")
	if s.LastAuth() != "" {
		t.Errorf("LastAuth() after a request without one = %q, want \"\"", s.LastAuth())
	}
}

func TestNoCapture(t *testing.T) {
	var raw map[string]any
	s, hs := Start(t, Options{Answer: func(r ChatRequest) Reply { raw = r.Raw; return defaultAnswer(r) }})
	if _, _, err := post(t, t.Context(), hs.URL, userMsg("x")); err != nil {
		t.Fatal(err)
	}
	if len(s.Bodies()) != 0 || s.LastBody() != nil || raw != nil {
		t.Errorf("without Capture: Bodies %v LastBody %v Raw %v, want none", s.Bodies(), s.LastBody(), raw)
	}
}

func TestFaultTimes(t *testing.T) {
	f := FaultTimes(Fault429, 2, func(r ChatRequest) bool { return r.LastUser() == "x" })
	x, y := ChatRequest{Messages: []Message{{"user", "x"}}}, ChatRequest{Messages: []Message{{"user", "y"}}}
	var got []Fault
	for i, r := range []ChatRequest{y, x, y, x, x, x} {
		got = append(got, f(i+1, r))
	}
	want := []Fault{FaultNone, Fault429, FaultNone, Fault429, FaultNone, FaultNone}
	if !slices.Equal(got, want) {
		t.Errorf("FaultTimes gave %v, want %v", got, want)
	}
	if s := fmt.Sprint(FaultOldError400, Fault(99)); s != "old-error-400 Fault(99)" {
		t.Errorf("Fault.String: %q", s)
	}
}
