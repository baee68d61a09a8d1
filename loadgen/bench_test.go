package loadgen

import (
	"bufio"
	"context"
	"fmt"
	"math"
	"net"
	"net/http"
	"os"
	"os/exec"
	"runtime"
	"sort"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/quanteval/quanteval/client"
	"github.com/quanteval/quanteval/internal/streamtest"
)

// The benchmark's stand-in runs in a child process (this test binary, re-executed
// with standInEnv set), so that getrusage on this process counts the client alone.
const standInEnv = "QUANTEVAL_LOADGEN_STANDIN"

func TestMain(m *testing.M) {
	if spec := os.Getenv(standInEnv); spec != "" {
		serveStandIn(spec)
		return
	}
	os.Exit(m.Run())
}

// serveStandIn serves a stand-in with "TTFT,TOKENDELAY" and prints its address.
func serveStandIn(spec string) {
	var ttft, delay time.Duration
	a, b, _ := strings.Cut(spec, ",")
	ttft, err1 := time.ParseDuration(a)
	delay, err2 := time.ParseDuration(b)
	if err1 != nil || err2 != nil {
		fmt.Fprintln(os.Stderr, "bad stand-in spec", spec)
		os.Exit(2)
	}
	// One thread is enough for the stand-in's writes and leaves the other core to
	// the client under test; a second would mostly spin.
	runtime.GOMAXPROCS(1)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	fmt.Println(ln.Addr().String())
	http.Serve(ln, streamtest.New(streamtest.Options{TTFT: ttft, TokenDelay: delay}))
}

func startStandIn(b *testing.B, ttft, delay time.Duration) string {
	b.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), fmt.Sprintf("%s=%s,%s", standInEnv, ttft, delay))
	out, err := cmd.StdoutPipe()
	if err != nil {
		b.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	addr, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		b.Fatal(err)
	}
	return "http://" + strings.TrimSpace(addr)
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkStandIn256 drives a stand-in that answers with a set TTFT and per-token
// delay at concurrency 256 and reports the measured TTFT and TPOT (median), their
// deviation from the set values, and the client's CPU time per request. The client
// is not the bottleneck when the deviations stay within 2%.
func BenchmarkStandIn256(b *testing.B) { benchStandIn(b, 256) }

// BenchmarkStandIn64 is the same at concurrency 64.
func BenchmarkStandIn64(b *testing.B) { benchStandIn(b, 64) }

// BenchmarkStandIn1 is the same at concurrency 1: the floor of the measurement.
func BenchmarkStandIn1(b *testing.B) { benchStandIn(b, 1) }

func benchStandIn(b *testing.B, conc int) {
	const (
		ttft   = 200 * time.Millisecond
		delay  = 20 * time.Millisecond
		outLen = 64
		ramp   = time.Second
	)
	base := startStandIn(b, ttft, delay)
	c, err := client.New(base, client.Options{Retries: -1})
	if err != nil {
		b.Fatal(err)
	}
	r := &Runner{Sender: &ClientSender{Client: c, Model: "m"}, Workload: Synthetic{InputLen: 100, OutputLen: outLen}}
	// Open the connections before measuring.
	if _, err := r.Run(context.Background(), Level{Concurrency: conc, Requests: conc, Ramp: ramp}); err != nil {
		b.Fatal(err)
	}
	var ttfts, tpots, cpus, rates []float64
	b.ResetTimer()
	for range b.N {
		cpu0 := cpuTime()
		lr, err := r.Run(context.Background(), Level{Concurrency: conc, Requests: 4 * conc, Ramp: ramp})
		if err != nil {
			b.Fatal(err)
		}
		if lr.Stats.Failed > 0 {
			b.Fatalf("%d requests failed: %v", lr.Stats.Failed, lr.Stats.Errors)
		}
		b.Logf("TTFT ms median %.1f p90 %.1f p99 %.1f; ITL ms median %.1f p99 %.1f", lr.Stats.TTFT.Median, lr.Stats.TTFT.P90,
			lr.Stats.TTFT.P99, lr.Stats.ITL.Median, lr.Stats.ITL.P99)
		cpus = append(cpus, float64(cpuTime()-cpu0)/float64(time.Microsecond)/float64(lr.Stats.Completed))
		ttfts = append(ttfts, lr.Stats.TTFT.Median)
		tpots = append(tpots, lr.Stats.TPOT.Median)
		rates = append(rates, lr.Stats.RequestThroughput)
	}
	// The median over the iterations (as benchstat's centre): one iteration that
	// another process on the machine disturbed does not decide.
	ttftMs, tpotMs, cpuPerReq, reqs := medianOf(ttfts), medianOf(tpots), medianOf(cpus), medianOf(rates)
	ttftDev := 100 * (ttftMs/ms(ttft) - 1)
	tpotDev := 100 * (tpotMs/ms(delay) - 1)
	b.ReportMetric(ttftMs, "ttft_ms")
	b.ReportMetric(tpotMs, "tpot_ms")
	b.ReportMetric(ttftDev, "ttft_dev_%")
	b.ReportMetric(tpotDev, "tpot_dev_%")
	b.ReportMetric(cpuPerReq, "cpu_us/req")
	b.ReportMetric(reqs, "req/s")
	b.Logf("concurrency %d: TTFT median %.2f ms (set %v, %+.2f%%), TPOT median %.3f ms (set %v, %+.2f%%), client CPU %.0f µs/request, %.1f requests/s",
		conc, ttftMs, ttft, ttftDev, tpotMs, delay, tpotDev, cpuPerReq, reqs)
	if math.Abs(ttftDev) > 2 || math.Abs(tpotDev) > 2 {
		b.Errorf("measured TTFT %.2f ms (set %v), TPOT %.3f ms (set %v): more than 2%% off", ttftMs, ttft, tpotMs, delay)
	}
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// medianOf is the median of xs (the mean of the middle two for an even count).
func medianOf(xs []float64) float64 {
	v := append([]float64(nil), xs...)
	sort.Float64s(v)
	n := len(v)
	if n == 0 {
		return 0
	}
	if n%2 == 1 {
		return v[n/2]
	}
	return (v[n/2-1] + v[n/2]) / 2
}
