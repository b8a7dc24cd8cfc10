package main

import (
	"encoding/json"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/birlik/birlik/gen"
	"github.com/birlik/birlik/httpapi"
	"github.com/birlik/birlik/httpapi/playground/browsertest"
)

// TestPlaygroundBrowser loads the playground of a gateway on the demo country in Chromium, with
// every host but the gateway's unreachable, and uses it as a person would: the headers editor
// holds the demo key and its purpose, the README's examples are the tabs, the execute button
// runs the citizen example and its answer shows in the result pane, and headers edited in the
// page are still there after a reload. Every request the page makes goes to the gateway, and
// the page's Content-Security-Policy refuses nothing it does.
func TestPlaygroundBrowser(t *testing.T) {
	browsertest.Skip(t)
	base, key, cfg := startDemoGateway(t)
	origin := strings.TrimSuffix(base, "/")

	// The citizen example's $iin: the demo country's first child enrolled now (demoValues).
	country, err := gen.Generate(gen.Config{Seed: cfg.Demo.Seed, People: cfg.Demo.People})
	if err != nil {
		t.Fatal(err)
	}
	iin := demoValues(country)["iin"]
	var lastName string
	for _, v := range country.PersonVersions {
		if string(v.Person.IIN) == iin {
			lastName = v.Person.LastName
		}
	}
	if iin == "" || lastName == "" {
		t.Fatal("the demo country has no registered child enrolled now")
	}

	ctx, rec := browsertest.Start(t, base, 8*time.Minute) // a busy machine, -race

	// editorValue is the text of a CodeMirror editor of the page (CodeMirror keeps its instance
	// on its wrapper element).
	editorValue := func(selector string) string {
		t.Helper()
		v, err := chromedp.Run(ctx, chromedp.Evaluate[string](`(() => {
			const el = document.querySelector(`+browsertest.JSString(selector)+`);
			return el && el.CodeMirror ? el.CodeMirror.getValue() : '';
		})()`))
		if err != nil {
			t.Fatalf("reading %s: %v", selector, err)
		}
		return v
	}
	const (
		headersEditor   = `section.graphiql-editor-tool > .graphiql-editor:nth-child(2) .CodeMirror`
		variablesEditor = `section.graphiql-editor-tool > .graphiql-editor:nth-child(1) .CodeMirror`
		queryEditor     = `.graphiql-query-editor .CodeMirror`
		resultPane      = `.result-window .CodeMirror`
	)
	waitForGraphiQL := func() {
		t.Helper()
		if err := chromedp.Do(ctx,
			chromedp.WaitVisible(chromedp.CSS(`.graphiql-execute-button`)),
			chromedp.Click(chromedp.CSS(`button[data-name="headers"]`)),
			chromedp.WaitVisible(chromedp.CSS(headersEditor)),
		); err != nil {
			t.Fatalf("the playground did not show GraphiQL with its headers editor: %v (exceptions: %q)", err, rec.Exceptions())
		}
	}

	if err := chromedp.Do(ctx, chromedp.Navigate(base)); err != nil {
		t.Fatalf("loading %s: %v", base, err)
	}
	waitForGraphiQL()

	// The gateway is ready: the status bar above the editor, which follows /readyz, shows no
	// first start (it hides when every component is ok, and lists the degraded ones).
	status, err := chromedp.Run(ctx, chromedp.Poll[string](`document.getElementById('birlik-status').dataset.status || ''`,
		chromedp.WithPollingInterval(100*time.Millisecond), chromedp.WithPollingTimeout(time.Minute)))
	if err != nil {
		t.Fatalf("the status bar never showed /readyz's state: %v", err)
	}
	if hidden, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`document.getElementById('birlik-status').hidden`)); err != nil || (status == "ready") != hidden {
		t.Errorf("with /readyz %q the status bar is hidden=%v (%v): want it hidden exactly when ready", status, hidden, err)
	}
	if status != "ready" && status != "degraded" {
		t.Errorf("the status bar of a ready gateway says %q", status)
	}

	headers := editorValue(headersEditor)
	if !strings.Contains(headers, `"Authorization": "Bearer `+key+`"`) || !strings.Contains(headers, `"X-Purpose": "case-management"`) {
		t.Errorf("the headers editor holds %q, want the demo key and X-Purpose case-management", headers)
	}
	titles, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`[...document.querySelectorAll('.graphiql-tab')].map((t) => t.textContent.trim())`))
	if err != nil {
		t.Fatal(err)
	}
	if len(titles) != len(playgroundTabs(readme, nil)) || len(titles) < 3 {
		t.Errorf("the playground opens with tabs %q, want README's %d GraphQL examples", titles, len(playgroundTabs(readme, nil)))
	}
	for _, title := range titles {
		if strings.HasPrefix(title, "<untitled>") {
			t.Errorf("the playground opens with tabs %q: name each of README's example operations, which titles its tab", titles)
		}
	}
	if q := editorValue(queryEditor); !strings.Contains(q, "query Citizen($iin: String!)") {
		t.Errorf("the first tab's query is %q, want README's citizen example", q)
	}
	if v := editorValue(variablesEditor); !strings.Contains(v, `"iin": "`+iin+`"`) {
		t.Errorf("the first tab's variables are %q, want the demo child's IIN %s", v, iin)
	}

	// Run the citizen example with GraphiQL's execute button; its answer shows in the result
	// pane.
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS(`.graphiql-execute-button`))); err != nil {
		t.Fatal(err)
	}
	result, err := chromedp.Run(ctx, chromedp.Poll[string](`(() => {
		const el = document.querySelector(`+browsertest.JSString(resultPane)+`);
		const v = el && el.CodeMirror ? el.CodeMirror.getValue() : '';
		return v.includes('"data"') || v.includes('"errors"') ? v : '';
	})()`, chromedp.WithPollingInterval(100*time.Millisecond), chromedp.WithPollingTimeout(2*time.Minute)))
	if err != nil {
		t.Fatalf("no answer in the result pane: %v", err)
	}
	if strings.Contains(result, `"errors"`) || !strings.Contains(result, `"iin": "`+iin+`"`) || !strings.Contains(result, `"lastName": "`+lastName+`"`) {
		t.Errorf("the result pane shows %s, want the person %s (%s) without errors", result, iin, lastName)
	}

	// The explorer plugin lists the schema's fields (it reads the schema the page fetched
	// through the gateway); the settings dialog opens and closes.
	if err := chromedp.Do(ctx,
		chromedp.Click(chromedp.CSS(`button[aria-label="Show GraphiQL Explorer"]`)),
		chromedp.WaitVisible(chromedp.CSS(`.graphiql-explorer-root`)),
	); err != nil {
		t.Fatalf("the explorer plugin did not open: %v", err)
	}
	if _, err := chromedp.Run(ctx, chromedp.Poll[bool](`document.querySelector('.graphiql-explorer-root').textContent.includes('paymentAggregate')`,
		chromedp.WithPollingInterval(100*time.Millisecond), chromedp.WithPollingTimeout(time.Minute))); err != nil {
		t.Errorf("the explorer plugin does not list the schema's fields: %v", err)
	}
	if err := chromedp.Do(ctx,
		chromedp.Click(chromedp.CSS(`button[aria-label="Open settings dialog"]`)),
		chromedp.WaitVisible(chromedp.CSS(`[role="dialog"]`)),
		chromedp.Click(chromedp.CSS(`[role="dialog"] .graphiql-dialog-close`)),
		chromedp.WaitNotPresent(chromedp.CSS(`[role="dialog"]`)),
	); err != nil {
		t.Errorf("the settings dialog: %v", err)
	}

	// Headers edited in the page stay across a reload (shouldPersistHeaders, the "birlik"
	// storage prefix).
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[chromedp.Void](`(() => {
		const cm = document.querySelector(`+browsertest.JSString(headersEditor)+`).CodeMirror;
		cm.setValue(cm.getValue().replace('"case-management"', '"statistics"'));
	})()`)); err != nil {
		t.Fatal(err)
	}
	if _, err := chromedp.Run(ctx, chromedp.Poll[bool](`(() => {
		const s = localStorage.getItem('birlikgraphiql:tabState') || '';
		return s.includes('statistics');
	})()`, chromedp.WithPollingInterval(100*time.Millisecond), chromedp.WithPollingTimeout(time.Minute))); err != nil {
		t.Fatalf("the edited headers were not stored under the birlik prefix: %v", err)
	}
	if err := chromedp.Do(ctx, chromedp.Reload()); err != nil {
		t.Fatal(err)
	}
	waitForGraphiQL()
	if h := editorValue(headersEditor); !strings.Contains(h, `"X-Purpose": "statistics"`) || !strings.Contains(h, key) {
		t.Errorf("after a reload the headers editor holds %q, want the edited headers", h)
	}
	if after, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll('.graphiql-tab').length`)); err != nil || after != len(titles) {
		t.Errorf("after a reload the playground has %d tabs (%v), want the %d it had", after, err, len(titles))
	}

	if violations := browsertest.CSPViolations(t, ctx); len(violations) > 0 {
		t.Errorf("the page's Content-Security-Policy refused: %q", violations)
	}
	if exceptions := rec.Exceptions(); len(exceptions) > 0 {
		t.Errorf("the page threw: %q", exceptions)
	}
	for _, e := range rec.ConsoleErrors() {
		t.Logf("console error: %s", e)
	}
	// Every request of the page went to the gateway (data: URIs are the stylesheet's fonts and
	// icons, no request on the network).
	var own int
	requests := rec.Requests()
	for _, r := range requests {
		switch {
		case strings.HasPrefix(r, origin+"/"):
			own++
		case strings.HasPrefix(r, "data:"):
		default:
			t.Errorf("the page requested %s, outside the gateway %s", r, origin)
		}
	}
	if own < 2 {
		t.Errorf("recorded requests %q: want at least the page and the query", requests)
	}
}

// startDemoGateway runs the gateway as `go run .` does, in-process, on a small demo country on
// a free loopback port, and returns its URL and demo key once its first sync is done (/readyz
// answers 200). It stops when the test ends.
func startDemoGateway(t *testing.T) (base, key string, cfg options) {
	t.Helper()
	base, key, cfg = serveDemo(t, "--demo-people=1000")
	var progress []string // the progress /readyz's details told while not ready
	for start := time.Now(); ; time.Sleep(200 * time.Millisecond) {
		res, err := http.Get(base + "readyz")
		if err == nil {
			var rep httpapi.Report
			err = json.NewDecoder(res.Body).Decode(&rep)
			res.Body.Close()
			if res.StatusCode == 200 {
				break
			}
			for _, c := range rep.Components {
				if strings.Contains(c.Detail, "so far") && !slices.Contains(progress, c.Detail) {
					progress = append(progress, c.Detail)
				}
			}
		}
		if time.Since(start) > 3*time.Minute {
			t.Fatalf("/readyz not 200 after 3 minutes (%v)", err)
		}
	}
	// The first start's progress reached /readyz, which the playground's status bar shows: the
	// sync's records per source, or the derived step and its time.
	if len(progress) == 0 {
		t.Error("while the first start ran, no /readyz detail said how far it got")
	}
	for _, p := range progress {
		if !regexp.MustCompile(`^the first sync of every source has not finished \(\d+s so far\): (\w+ (done \([\d,]+\)|[\d,]+( of [\d,]+ so far)?)(, |$))+|^running the integrity checks \(\d+s so far\)|^the integrity checks are done; assessing .* \(\d+s so far\)$`).MatchString(p) {
			t.Errorf("a first start's progress in /readyz reads %q", p)
		}
	}
	return base, key, cfg
}
