package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"io"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/birlik/birlik/internal/docexamples"
	"github.com/birlik/birlik/store"
)

// TestDocsStandAlone: README.md and docs/ link only files of this repository, each of which
// exists, so that a clone alone is enough to read them.
func TestDocsStandAlone(t *testing.T) {
	link := regexp.MustCompile(`\]\(([^)#\s]+)[^)]*\)|` + "`" + `(\.\./[^` + "`" + `]*)` + "`")
	files := []string{"README.md"}
	_ = filepath.WalkDir("docs", func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasSuffix(p, ".md") {
			files = append(files, p)
		}
		return err
	})
	root, _ := filepath.Abs(".")
	for _, f := range files {
		text, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range link.FindAllStringSubmatch(string(text), -1) {
			target := m[1] + m[2]
			if strings.Contains(target, "://") || strings.HasPrefix(target, "mailto:") {
				continue
			}
			p, _ := filepath.Abs(filepath.Join(filepath.Dir(f), target))
			if !strings.HasPrefix(p, root+string(filepath.Separator)) {
				t.Errorf("%s links %q, outside the repository", f, target)
			} else if _, err := os.Stat(p); err != nil {
				t.Errorf("%s links %q, which does not exist", f, target)
			}
		}
	}
}

// TestDocExamples starts the gateway once on the demo country `go run .` serves (the default
// seed and size, so that the IINs, BINs and regions the examples name are real), waits for the
// first sync and the findings (for /readyz when an example reads assessments), and runs every
// GraphQL example of README.md and docs/ with the variables the doc shows beside it: each must
// answer 200 without errors, with data at every root field, and an example about findings must
// find some. It then walks the evidence of every finding of the demo and parses each timestamp
// in it as RFC 3339.
func TestDocExamples(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: starting the gateway on the 20,000-person demo country takes minutes")
	}
	examples, err := docexamples.Find(".")
	if err != nil {
		t.Fatal(err)
	}
	if len(examples) < 8 {
		t.Fatalf("found %d GraphQL examples in README.md and docs/, want at least README's 3 and findings-queries.md's 5", len(examples))
	}
	// The examples read findings: waiting for them is enough, unless one reads what the family
	// assessments (the longest step after the sync) produce; then the gateway must be ready.
	needReady := false
	for _, ex := range examples {
		needReady = needReady || ex.ReadsDerived()
	}
	url, key := startDemo(t, needReady)
	post := func(body map[string]any) (int, []byte) {
		b, _ := json.Marshal(body)
		req, _ := http.NewRequest("POST", url+"query", bytes.NewReader(b))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+key)
		req.Header.Set("X-Purpose", "integrity-inspection")
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		out, _ := io.ReadAll(res.Body)
		return res.StatusCode, out
	}
	onPostgres := os.Getenv("DATABASE_URL") != ""
	for _, ex := range examples {
		if onPostgres && ex.TakesNodeID() {
			t.Logf("%s: takes a node id, the embedded SQLite store's: run without DATABASE_URL", ex.Where)
			continue
		}
		for _, op := range ex.Runs() {
			code, answer := post(ex.Body(op))
			var r struct {
				Data   map[string]any
				Errors []any
			}
			if err := json.Unmarshal(answer, &r); err != nil || code != 200 || len(r.Errors) > 0 || len(r.Data) == 0 {
				t.Errorf("%s %s answers %d %s", ex.Where, op, code, answer)
				continue
			}
			for k, v := range r.Data {
				if empty(v) {
					t.Errorf("%s %s answers no data at %s: %s", ex.Where, op, k, answer)
				}
			}
			if strings.Contains(strings.ToLower(ex.Query), "finding") {
				for _, miss := range findsNothing("", r.Data) {
					t.Errorf("%s %s finds nothing at %s: %s", ex.Where, op, miss, answer)
				}
			}
			checkInstants(t, ex.Where, r.Data)
		}
	}

	// Every finding's evidence: its timestamps are RFC 3339.
	n, after := 0, any(nil)
	for {
		code, answer := post(map[string]any{
			"query":     `query($after: Cursor) { findings(first: 200, after: $after) { edges { node { key evidence } } pageInfo { hasNextPage endCursor } } }`,
			"variables": map[string]any{"after": after},
		})
		var r struct {
			Data struct {
				Findings struct {
					Edges []struct {
						Node struct {
							Key      string
							Evidence map[string]any
						}
					}
					PageInfo struct {
						HasNextPage bool
						EndCursor   string
					}
				}
			}
			Errors []any
		}
		if err := json.Unmarshal(answer, &r); err != nil || code != 200 || len(r.Errors) > 0 {
			t.Fatalf("findings' evidence: %d %s", code, answer)
		}
		for _, e := range r.Data.Findings.Edges {
			if instants := checkInstants(t, e.Node.Key, e.Node.Evidence); instants == 0 {
				t.Errorf("finding %s: no timestamp in its evidence (every record in it has syncedAt)", e.Node.Key)
			}
			n++
		}
		if !r.Data.Findings.PageInfo.HasNextPage {
			break
		}
		after = r.Data.Findings.PageInfo.EndCursor
	}
	if n == 0 {
		t.Error("the demo country has no findings")
	}
}

// empty reports whether a root field answered nothing: null or an empty list.
func empty(v any) bool {
	if v == nil {
		return true
	}
	l, ok := v.([]any)
	return ok && len(l) == 0
}

// findsNothing returns the paths in an answer where findings are asked and none came: a
// `findings` or `findingSummary` list that is empty, a findings connection with totalCount 0
// or no edges, a `node` that is null.
func findsNothing(path string, v any) []string {
	var out []string
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			p := path + "." + k
			switch {
			case (k == "findings" || k == "findingSummary") && empty(e):
				out = append(out, p)
			case k == "findings":
				if c, ok := e.(map[string]any); ok {
					if tc, ok := c["totalCount"].(float64); ok && tc == 0 {
						out = append(out, p+".totalCount")
					}
					if ed, ok := c["edges"]; ok && empty(ed) {
						out = append(out, p+".edges")
					}
				}
			case k == "node" && e == nil:
				out = append(out, p)
			}
			out = append(out, findsNothing(p, e)...)
		}
	case []any:
		for _, e := range x {
			out = append(out, findsNothing(path+"[]", e)...)
		}
	}
	return out
}

// timestampLike is a string that looks like an instant: a date, then a time of day.
var timestampLike = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}`)

// checkInstants parses every timestamp-looking string under v as RFC 3339 and returns how many
// it found.
func checkInstants(t *testing.T, where string, v any) int {
	t.Helper()
	n := 0
	var walk func(path string, v any)
	walk = func(path string, v any) {
		switch x := v.(type) {
		case map[string]any:
			for k, e := range x {
				walk(path+"."+k, e)
			}
		case []any:
			for _, e := range x {
				walk(path+"[]", e)
			}
		case string:
			if timestampLike.MatchString(x) {
				n++
				if _, err := time.Parse(time.RFC3339Nano, x); err != nil {
					t.Errorf("%s: %s = %q is not RFC 3339: %v", where, path, x, err)
				}
			}
		}
	}
	walk("", v)
	return n
}

// startDemo runs the gateway as `go run .` does, on the default demo country, in-process on a
// free port, and returns its URL and demo key once /readyz answers 200, or (ready false) once
// every source has synced and the integrity findings are computed.
func startDemo(t *testing.T, ready bool) (url, key string) {
	t.Helper()
	url, key, _ = serveDemo(t)
	for start := time.Now(); ; time.Sleep(time.Second) {
		res, err := http.Get(url + "readyz")
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(res.Body)
		res.Body.Close()
		var rep struct {
			Components map[string]struct{ State string }
		}
		_ = json.Unmarshal(b, &rep)
		if res.StatusCode == 200 || !ready && rep.Components["sync"].State == "ok" && findingsComputed(t, url, key) {
			return url, key
		}
		if time.Since(start) > 15*time.Minute {
			t.Fatalf("/readyz still %d after 15 minutes: %s", res.StatusCode, b)
		}
	}
}

// serveDemo runs `birlik serve` in-process on a free loopback port over a store of the test's
// own (ownStore), with args added to the defaults (e.g. --demo-people), and returns the URL and
// the demo key it prints, and its options. It stops when the test ends.
func serveDemo(t *testing.T, args ...string) (url, key string, cfg options) {
	t.Helper()
	dbURL := ownStore(t)
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	cfg, err := loadOptions(fs, append([]string{"--addr=127.0.0.1:0", "--data=" + t.TempDir(), "--log-level=warn"}, args...),
		func(k string) string {
			if k == "DATABASE_URL" {
				return dbURL
			}
			return ""
		}, nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() { done <- runServe(ctx, cfg, pw); pw.Close() }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("runServe after shutdown: %v", err)
		}
	})
	found := make(chan struct{})
	go func() {
		lines := bufio.NewScanner(pr)
		for lines.Scan() {
			l := lines.Text()
			if m := regexp.MustCompile(`playground at (http://\S+/) `).FindStringSubmatch(l); m != nil {
				url = m[1]
			}
			if m := regexp.MustCompile(`demo API key .*: (\S+)$`).FindStringSubmatch(l); m != nil {
				key = m[1]
				close(found)
				break
			}
		}
		_, _ = io.Copy(io.Discard, pr)
	}()
	select {
	case <-found:
	case err := <-done:
		t.Fatalf("runServe ended before serving: %v", err)
	case <-time.After(2 * time.Minute):
		t.Fatal("no URL and demo key printed within 2 minutes")
	}
	return url, key, cfg
}

// ownStore returns the DATABASE_URL of a store of the test's own: with DATABASE_URL set, a new
// PostgreSQL schema dropped after the test; unset, "" (SQLite in the gateway's data folder).
func ownStore(t *testing.T) string {
	t.Helper()
	base := os.Getenv("DATABASE_URL")
	if base == "" {
		return ""
	}
	u, drop, err := store.TempSchema(context.Background(), base, "birlik_test")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = drop() })
	return u
}

// findingsComputed reports whether the gateway at url has computed the integrity findings.
func findingsComputed(t *testing.T, url, key string) bool {
	req, _ := http.NewRequest("POST", url+"query", strings.NewReader(`{"query":"{ freshness { findingsComputedAt } }"}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+key)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var r struct {
		Data struct {
			Freshness struct{ FindingsComputedAt *string }
		}
	}
	return json.NewDecoder(res.Body).Decode(&r) == nil && r.Data.Freshness.FindingsComputedAt != nil
}
