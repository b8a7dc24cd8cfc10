package playground

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/birlik/birlik/httpapi/playground/browsertest"
)

// TestStatusBarFollowsReadiness loads the page in Chromium beside a /readyz whose answer the test
// sets, and checks the bar above the editor: while the gateway is not ready it shows each
// component that is not ok with its detail (the first sync's progress), as text, and follows
// the detail as it moves; it hides once /readyz says ready; on a degraded gateway it lists what
// is degraded; where a proxy keeps /readyz from the page (an answer that is not JSON) it stays
// hidden.
func TestStatusBarFollowsReadiness(t *testing.T) {
	browsertest.Skip(t)
	var mu sync.Mutex
	readyz := ""
	setReadyz := func(body string) { mu.Lock(); readyz = body; mu.Unlock() }
	notReady := func(syncDetail string) string {
		return `{"status":"not ready","components":{` +
			`"store":{"state":"ok","since":"2026-12-05T10:00:00Z"},` +
			`"derived":{"state":"down","detail":"the findings and family assessments have not been computed yet","since":"2026-12-05T10:00:00Z"},` +
			`"sync":{"state":"down","detail":"` + syncDetail + `","since":"2026-12-05T10:00:00Z"}}}`
	}
	setReadyz(notReady(`the first sync of every source has not finished (12s so far): justice done (21,946), labour 58,380 of 170,302 so far <img src=x onerror=alert(1)>`))

	_, page := newHandler(t, Config{Title: "Birlik", Endpoint: "/query", Readiness: "/readyz", StoragePrefix: "test"})
	mux := http.NewServeMux()
	mux.Handle("/", page)
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		body := readyz
		mu.Unlock()
		if strings.HasPrefix(body, "<") { // a proxy that keeps /readyz to the operators
			w.Header().Set("Content-Type", "text/html")
			w.WriteHeader(http.StatusNotFound)
			_, _ = w.Write([]byte(body))
			return
		}
		w.Header().Set("Content-Type", "application/json")
		if strings.Contains(body, `"status":"not ready"`) {
			w.WriteHeader(http.StatusServiceUnavailable)
		}
		_, _ = w.Write([]byte(body))
	})
	mux.HandleFunc("POST /query", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"data":{"__schema":{"queryType":{"name":"Query"},"mutationType":null,"subscriptionType":null,"types":[{"kind":"OBJECT","name":"Query","fields":[{"name":"ok","args":[],"type":{"kind":"SCALAR","name":"Boolean","ofType":null},"isDeprecated":false,"deprecationReason":null}],"inputFields":null,"interfaces":[],"enumValues":null,"possibleTypes":null},{"kind":"SCALAR","name":"Boolean"},{"kind":"SCALAR","name":"String"}],"directives":[]}}}`))
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()

	ctx, rec := browsertest.Start(t, srv.URL, 3*time.Minute)
	// barShows waits until the bar's text contains want, and returns its state and text.
	barShows := func(want string) (status, text string) {
		t.Helper()
		v, err := chromedp.Run(ctx, chromedp.Poll[[]string](`(() => {
			const bar = document.getElementById('birlik-status');
			return bar && !bar.hidden && bar.textContent.includes(`+browsertest.JSString(want)+`) ? [bar.dataset.status, bar.textContent] : null;
		})()`, chromedp.WithPollingInterval(100*time.Millisecond), chromedp.WithPollingTimeout(30*time.Second)))
		if err != nil || len(v) != 2 {
			cur, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.getElementById('birlik-status').outerHTML`))
			t.Fatalf("the status bar never showed %q: %v (it is %s)", want, err, cur)
		}
		return v[0], v[1]
	}

	if err := chromedp.Do(ctx, chromedp.Navigate(srv.URL+"/")); err != nil {
		t.Fatal(err)
	}
	status, text := barShows("labour 58,380 of 170,302 so far")
	if status != "not ready" || !strings.HasPrefix(text, "Not ready yet") ||
		!strings.Contains(text, "sync (down): the first sync of every source has not finished") ||
		!strings.Contains(text, "derived (down): the findings and family assessments have not been computed yet") {
		t.Errorf("while the first sync runs the bar shows %q (%s), want each component down with its detail", text, status)
	}
	if strings.Contains(text, "store") {
		t.Errorf("the bar lists a component that is ok: %q", text)
	}
	if n, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll('#birlik-status img').length`)); err != nil || n != 0 {
		t.Errorf("a detail's markup became %d elements of the page (%v): details are text", n, err)
	}

	setReadyz(notReady(`the first sync of every source has not finished (14s so far): justice done (21,946), labour 64,000 of 170,302 so far`))
	barShows("labour 64,000 of 170,302 so far")

	setReadyz(`{"status":"ready","components":{"store":{"state":"ok","since":"2026-12-05T10:00:00Z"},"sync":{"state":"ok","detail":"the first sync has finished","since":"2026-12-05T10:00:00Z"}}}`)
	if _, err := chromedp.Run(ctx, chromedp.Poll[bool](`document.getElementById('birlik-status').hidden && document.getElementById('birlik-status').dataset.status === 'ready'`,
		chromedp.WithPollingInterval(100*time.Millisecond), chromedp.WithPollingTimeout(30*time.Second))); err != nil {
		t.Errorf("the bar did not hide once /readyz said ready: %v", err)
	}

	setReadyz(`{"status":"degraded","components":{"store":{"state":"ok","since":"2026-12-05T10:00:00Z"},"redis":{"state":"degraded","detail":"dial tcp 127.0.0.1:6379: connection refused","since":"2026-12-05T10:00:00Z"}}}`)
	if err := chromedp.Do(ctx, chromedp.Reload()); err != nil {
		t.Fatal(err)
	}
	if status, text := barShows("redis (degraded): dial tcp 127.0.0.1:6379: connection refused"); status != "degraded" || !strings.HasPrefix(text, "Degraded") {
		t.Errorf("on a degraded gateway the bar shows %q (%s)", text, status)
	}

	setReadyz("<html><body>Not Found</body></html>")
	if err := chromedp.Do(ctx, chromedp.Reload()); err != nil {
		t.Fatal(err)
	}
	if _, err := chromedp.Run(ctx, chromedp.Poll[bool](`document.getElementById('birlik-status').hidden && document.getElementById('birlik-status').dataset.status === 'hidden'`,
		chromedp.WithPollingInterval(100*time.Millisecond), chromedp.WithPollingTimeout(30*time.Second))); err != nil {
		t.Errorf("with /readyz kept from the page (404, HTML) the bar did not stay hidden: %v", err)
	}

	if v := browsertest.CSPViolations(t, ctx); len(v) > 0 {
		t.Errorf("the page's Content-Security-Policy refused: %q", v)
	}
	if e := rec.Exceptions(); len(e) > 0 {
		t.Errorf("the page threw: %q", e)
	}
	for _, r := range rec.Requests() {
		if !strings.HasPrefix(r, srv.URL+"/") && !strings.HasPrefix(r, "data:") {
			t.Errorf("the page requested %s, outside its gateway", r)
		}
	}
}
