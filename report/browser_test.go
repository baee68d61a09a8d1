package report

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// chromium finds the browser; the test is skipped without one, except under CI,
// where its absence is a failure.
func chromium(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("CI") == "true" {
		t.Fatal("chromium not found; CI must install Debian's chromium package")
	}
	t.Skip("chromium not found (install Debian's chromium package to run this test)")
	return ""
}

// TestHTMLInBrowser opens the report in headless Chromium and checks what a person
// would: one grid row per item, the flips-only filter, a reply with <script> shown as
// text and never run, the detail row on click, the chart drawn, no console errors.
func TestHTMLInBrowser(t *testing.T) {
	bin := chromium(t)
	// i05 of the NVFP4 variant (a flip) has an output longer than the page shows at once.
	ins := fixture()
	long := "no " + strings.Repeat("0123456789", 500)
	ins[0].File.Items[4].Output = long
	c, err := Build(ins, Options{})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	page := filepath.Join(dir, "report.html")
	f, err := os.Create(page)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.HTML(f); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}

	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(),
		chromedp.ExecPath(bin),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(filepath.Join(dir, "profile")),
	)
	defer cancelAlloc()
	browserCtx, cancelBrowser := chromedp.NewContext(allocCtx)
	defer cancelBrowser()
	// The first Run starts the browser and must not carry a deadline (see chromedp.Run).
	if err := chromedp.Do(browserCtx, chromedp.Navigate("about:blank")); err != nil {
		t.Fatalf("starting chromium: %v", err)
	}
	// A generous bound so that a hung browser fails the test instead of the run;
	// it is not a timing assertion.
	ctx, cancel := context.WithTimeout(browserCtx, 2*time.Minute)
	defer cancel()

	console := chromedp.Console(ctx)
	if err := chromedp.Do(ctx,
		chromedp.Navigate("file://"+page),
		chromedp.WaitReady(chromedp.ID("grid")),
	); err != nil {
		t.Fatal(err)
	}
	eval := func(expr string) any {
		t.Helper()
		v, err := chromedp.Run(ctx, chromedp.Evaluate[any](expr))
		if err != nil {
			t.Fatalf("%s: %v", expr, err)
		}
		return v
	}
	evalIDs := func(expr string) []string {
		t.Helper()
		v, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](expr))
		if err != nil {
			t.Fatalf("%s: %v", expr, err)
		}
		return v
	}

	const visibleRows = `Array.from(document.querySelectorAll('#grid tbody tr.item')).filter(tr => !tr.hidden && tr.offsetParent !== null).map(tr => tr.dataset.id)`
	if got := evalIDs(visibleRows); len(got) != len(c.Items) {
		t.Errorf("grid shows %d rows, want one per item (%d)", len(got), len(c.Items))
	}
	if got := eval(`typeof window.__pwned`); got != "undefined" {
		t.Errorf("a script in a model reply ran: typeof window.__pwned = %v", got)
	}
	if got := eval(`document.querySelector('#chart img').complete && document.querySelector('#chart img').naturalWidth`); got != float64(ChartWidth) {
		t.Errorf("chart naturalWidth = %v, want %d", got, ChartWidth)
	}

	if got := eval(`document.querySelectorAll('#consistency tbody tr').length`); got != float64(len(c.Variants)-1) {
		t.Errorf("consistency table has %v rows, want one per variant against the reference (%d)", got, len(c.Variants)-1)
	}

	// The flips-only filter leaves exactly the items on which some variant differs
	// from the reference.
	var flips []string
	for _, it := range c.Items {
		if it.Flip {
			flips = append(flips, it.ID)
		}
	}
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.ID("flips-only"))); err != nil {
		t.Fatal(err)
	}
	if got := evalIDs(visibleRows); !slices.Equal(got, flips) {
		t.Errorf("with the flip filter the grid shows %v, want the flips %v", got, flips)
	}
	if got := eval(`document.getElementById('shown').textContent`); got != "10" {
		t.Errorf("shown count = %v, want 10", got)
	}

	if err := chromedp.Do(ctx, chromedp.Click(chromedp.ID("flips-only"))); err != nil {
		t.Fatal(err)
	}
	if got := evalIDs(visibleRows); len(got) != len(c.Items) {
		t.Errorf("after clearing the filter the grid shows %d rows, want %d", len(got), len(c.Items))
	}

	// A click on an item opens its prompt, expected answer and every output.
	const detailOpen = `(() => { const d = document.querySelector('#grid tr.item[data-id="i11"]').nextElementSibling; return !d.hidden && d.offsetParent !== null; })()`
	if got := eval(detailOpen); got != false {
		t.Error("detail row open before a click")
	}
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS(`#grid tr.item[data-id="i11"] td`))); err != nil {
		t.Fatal(err)
	}
	if got := eval(detailOpen); got != true {
		t.Error("detail row not open after a click")
	}
	if got := eval(`document.querySelector('#grid tr.item[data-id="i11"]').nextElementSibling.querySelectorAll('pre').length`); got != float64(2+len(c.Variants)) {
		t.Errorf("detail has %v blocks, want prompt, expected and %d outputs", got, len(c.Variants))
	}
	if got := eval(`Array.from(document.querySelectorAll('#grid pre')).some(p => p.textContent.includes('<script>window.__pwned=1</script>'))`); got != true {
		t.Error("the reply with <script> is not shown as text")
	}
	if got := eval(`typeof window.__pwned`); got != "undefined" {
		t.Errorf("a script in a model reply ran once shown: typeof window.__pwned = %v", got)
	}
	// i11: the <script> reply departs from the reference's "yes" after 3 characters.
	if got := eval(`Array.from(document.querySelector('#grid tr.item[data-id="i11"]').nextElementSibling.querySelectorAll('.cons')).map(e => e.textContent).join(' | ')`); got != "departs from the reference after 3 characters | same output as the reference" {
		t.Errorf("detail consistency notes = %q", got)
	}

	// A long output shows its first ShowChars characters and a button for the rest,
	// which shows the whole text from the page's one copy of it.
	const i05 = `document.querySelector('#grid tr.item[data-id="i05"]').nextElementSibling`
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS(`#grid tr.item[data-id="i05"] td`))); err != nil {
		t.Fatal(err)
	}
	lens := func() any {
		return eval(`Array.from(` + i05 + `.querySelectorAll('pre')).map(p => p.textContent.length).join(',')`)
	}
	// prompt, expected, then the three outputs: NVFP4's cut at ShowChars plus "…".
	if got, want := lens(), fmt.Sprintf("10,3,%d,3,3", ShowChars+1); got != want {
		t.Errorf("detail text lengths = %v, want %s", got, want)
	}
	if got := eval(i05 + `.querySelector('button.more').textContent`); got != "show all 5003 characters" {
		t.Errorf("button = %q", got)
	}
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS(`#grid tr.item[data-id="i05"] + tr button.more`))); err != nil {
		t.Fatal(err)
	}
	if got, want := lens(), fmt.Sprintf("10,3,%d,3,3", len(long)); got != want {
		t.Errorf("after the click, detail text lengths = %v, want %s", got, want)
	}
	if got := eval(i05 + `.querySelectorAll('pre')[2].textContent === ` + strconv.Quote(long)); got != true {
		t.Error("the expanded text is not the output")
	}
	if got := eval(i05 + `.querySelector('button.more') === null && !` + i05 + `.hidden`); got != true {
		t.Error("after the click the button is still there, or the detail closed")
	}

	// A sentinel error proves that console errors are seen at all, and marks the end.
	if err := chromedp.Do(ctx, chromedp.Evaluate[chromedp.Void](`console.error('quanteval-sentinel')`)); err != nil {
		t.Fatal(err)
	}
	for m, err := range console {
		if err != nil {
			t.Fatalf("reading the console: %v", err)
		}
		if m.Type == chromedp.ConsoleError && m.Text == "quanteval-sentinel" {
			break
		}
		switch {
		case m.Type == chromedp.ConsoleError || m.IsException():
			t.Errorf("console: %v (%s:%d)", m, m.URL, m.Line)
		case m.Type == chromedp.ConsoleWarning:
			t.Logf("console: %v", m)
		}
	}
}
