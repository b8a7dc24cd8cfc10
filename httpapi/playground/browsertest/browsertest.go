// Package browsertest drives Debian's Chromium, headless and on a closed network, for the tests
// of the playground page: it starts the browser with every host unreachable but the one under
// test and records what the page did (its requests, uncaught exceptions, console errors and
// Content-Security-Policy violations), so that a test can check the page stayed on its gateway.
package browsertest

import (
	"context"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
)

// Chromium is Debian's Chromium, which the browser tests drive (.ci/run installs it).
const Chromium = "/usr/bin/chromium"

// Skip skips t when Chromium is missing (naming how to install it) or with -short.
func Skip(t testing.TB) {
	t.Helper()
	if _, err := os.Stat(Chromium); err != nil {
		t.Skipf("this browser test needs Chromium at %s (Debian: apt-get install chromium; .ci/run installs it): %v", Chromium, err)
	}
	if testing.Short() {
		t.Skip("this browser test starts Chromium; skipped with -short")
	}
}

// Record is what the page did, as Chromium reported it.
type Record struct {
	mu                                  sync.Mutex
	requests, exceptions, consoleErrors []string
}

// Requests returns the URLs the page requested.
func (r *Record) Requests() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.requests...)
}

// Exceptions returns the page's uncaught exceptions.
func (r *Record) Exceptions() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.exceptions...)
}

// ConsoleErrors returns what the page logged with console.error.
func (r *Record) ConsoleErrors() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.consoleErrors...)
}

func (r *Record) listen(ev any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	switch ev := ev.(type) {
	case *network.EventRequestWillBeSent:
		r.requests = append(r.requests, ev.Request.URL)
	case *runtime.EventExceptionThrown:
		d := ev.ExceptionDetails
		msg := d.Text
		if d.Exception != nil && d.Exception.Description != "" {
			msg += " " + d.Exception.Description
		}
		r.exceptions = append(r.exceptions, msg)
	case *runtime.EventConsoleAPICalled:
		if ev.Type == runtime.ConsoleAPICalledTypeError {
			var parts []string
			for _, a := range ev.Args {
				parts = append(parts, string(a.Value)+a.Description)
			}
			r.consoleErrors = append(r.consoleErrors, strings.Join(parts, " "))
		}
	}
}

// Start starts Chromium for t with no host reachable but base's, and returns a browser context
// (ending with the test, or after timeout) and the record of what its pages do. Every page it
// loads keeps the Content-Security-Policy violations it sees in window.__cspViolations
// (CSPViolations).
func Start(t testing.TB, base string, timeout time.Duration) (context.Context, *Record) {
	t.Helper()
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(),
		chromedp.ExecPath(Chromium),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("disable-extensions", true),
		chromedp.Flag("disable-default-apps", true),
		// A closed network: no host resolves but the gateway's.
		chromedp.Flag("host-resolver-rules", "MAP * ~NOTFOUND, EXCLUDE "+u.Hostname()),
		chromedp.UserDataDir(t.TempDir()),
	)
	rec := &Record{}
	ctx, cancel := chromedp.NewContext(allocCtx, chromedp.WithListener(rec.listen))
	ctx, cancelTimeout := context.WithTimeout(ctx, timeout)
	t.Cleanup(func() {
		cancelTimeout()
		cancel()
		cancelAlloc()
	})
	if err := chromedp.Do(ctx, chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		_, err := cdp.Call(ctx, tg, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{Source: `
			window.__cspViolations = [];
			document.addEventListener('securitypolicyviolation', (e) => {
				window.__cspViolations.push(e.violatedDirective + ' refused ' + (e.blockedURI || 'inline'));
			});`})
		return err
	})); err != nil {
		t.Fatalf("starting Chromium: %v", err)
	}
	return ctx, rec
}

// CSPViolations returns what the Content-Security-Policy of the page in ctx refused.
func CSPViolations(t testing.TB, ctx context.Context) []string {
	t.Helper()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`window.__cspViolations || []`))
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// JSString quotes s as a JavaScript string literal.
func JSString(s string) string {
	return "'" + strings.NewReplacer(`\`, `\\`, `'`, `\'`, "\n", `\n`).Replace(s) + "'"
}
