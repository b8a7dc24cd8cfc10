package main

import (
	"bufio"
	"context"
	"encoding/json"
	"flag"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/birlik/birlik/domain"
	"github.com/birlik/birlik/gen"
)

// TestEmbeddedStartup runs the gateway the way `go run .` does, in-process, with a small demo
// country on a free port, and queries it over HTTP.
func TestEmbeddedStartup(t *testing.T) {
	data := t.TempDir()
	dbURL := ownStore(t)
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	cfg, err := loadOptions(fs, []string{"--addr=127.0.0.1:0", "--data=" + data, "--demo-people=1000", "--log-level=warn"},
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

	// The first lines say where it serves and the demo key.
	lines := bufio.NewScanner(pr)
	var url, key, curl string
	deadline := time.After(2 * time.Minute)
	found := make(chan struct{})
	go func() {
		for lines.Scan() {
			l := lines.Text()
			if m := regexp.MustCompile(`playground at (http://\S+/) `).FindStringSubmatch(l); m != nil {
				url = m[1]
			}
			if m := regexp.MustCompile(`demo API key .*: (\S+)$`).FindStringSubmatch(l); m != nil {
				key = m[1]
			}
			if strings.HasPrefix(strings.TrimSpace(l), "curl ") {
				curl = strings.TrimSpace(l)
				close(found)
				io.Copy(io.Discard, pr)
				return
			}
		}
	}()
	select {
	case <-found:
	case err := <-done:
		t.Fatalf("runServe ended before serving: %v", err)
	case <-deadline:
		t.Fatal("no URL and demo key printed within 2 minutes")
	}
	stored, err := os.ReadFile(filepath.Join(data, "demo-api-key"))
	if err != nil || strings.TrimSpace(string(stored)) != key {
		t.Fatalf("printed key %q, stored %q (%v): want the same", key, stored, err)
	}

	get := func(path, auth, body string) (int, string) {
		method := "GET"
		var r io.Reader
		if body != "" {
			method, r = "POST", strings.NewReader(body)
		}
		req, _ := http.NewRequest(method, url+strings.TrimPrefix(path, "/"), r)
		req.Header.Set("Content-Type", "application/json")
		if auth != "" {
			req.Header.Set("Authorization", "Bearer "+auth)
			req.Header.Set("X-Purpose", "case-management")
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res.StatusCode, string(b)
	}
	// The curl line printed at start works as printed: its headers, body and URL.
	m := regexp.MustCompile(`^curl -H '([^:]+): ([^']+)' -H '([^:]+): ([^']+)' -d '([^']+)' (\S+)$`).FindStringSubmatch(curl)
	if m == nil {
		t.Fatalf("the printed curl line %q is not curl -H … -H … -d … URL", curl)
	}
	req, _ := http.NewRequest("POST", m[6], strings.NewReader(m[5]))
	req.Header.Set(m[1], m[2])
	req.Header.Set(m[3], m[4])
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	cb, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != 200 || !strings.Contains(string(cb), `"regions":[{`) || strings.Contains(string(cb), `"errors"`) {
		t.Errorf("the printed curl line answers %d %s", res.StatusCode, cb)
	}

	if code, _ := get("/healthz", "", ""); code != 200 {
		t.Errorf("/healthz = %d", code)
	}
	if code, body := get("/", "", ""); code != 200 || !strings.Contains(body, key) {
		t.Errorf("playground = %d, want the demo key filled in", code)
	}
	if code, _ := get("/query", "", `{"query":"{ regions { kato } }"}`); code != 401 {
		t.Errorf("/query without a key = %d, want 401", code)
	}
	code, body := get("/query", key, `{"query":"{ regions { kato name } persons(first: 1) { totalCount } }"}`)
	var r struct {
		Data struct {
			Regions []struct{ Kato, Name string }
		}
		Errors []any
	}
	if err := json.Unmarshal([]byte(body), &r); err != nil || code != 200 || len(r.Errors) > 0 || len(r.Data.Regions) != 20 {
		t.Fatalf("query with the demo key: %d %s", code, body)
	}
	// /readyz answers 200 once the first sync has finished.
	for start := time.Now(); ; time.Sleep(200 * time.Millisecond) {
		code, body := get("/readyz", "", "")
		if code == 200 {
			break
		}
		if time.Since(start) > 3*time.Minute {
			t.Fatalf("/readyz still %d after 3 minutes: %s", code, body)
		}
	}

	// The nested citizen query answers what the simulators hold: the same country, regenerated.
	country, err := gen.Generate(gen.Config{Seed: cfg.Demo.Seed, People: cfg.Demo.People})
	if err != nil {
		t.Fatal(err)
	}
	var child domain.IIN
	var schoolName string
	for _, e := range country.Enrolments {
		for _, s := range country.Schools {
			if s.BIN == e.BIN && e.To.IsZero() {
				child, schoolName = e.ChildIIN, s.Name
			}
		}
		if child != "" {
			break
		}
	}
	var latest domain.Person
	for _, v := range country.PersonVersions {
		if v.Person.IIN == child {
			latest = v.Person
		}
	}
	if child == "" || latest.IIN == "" {
		t.Fatal("the demo country has no current enrolment of a registered child")
	}
	q, _ := json.Marshal(map[string]any{"query": `query($iin: String!) { person(iin: $iin) {
		lastName region { kato } enrollments { school { name designCapacity region { name } } } } }`,
		"variables": map[string]any{"iin": string(child)}})
	code, body = get("/query", key, string(q))
	var p struct {
		Data struct {
			Person *struct {
				LastName    string
				Region      struct{ Kato string }
				Enrollments []struct{ School struct{ Name string } }
			}
		}
		Errors []any
	}
	if err := json.Unmarshal([]byte(body), &p); err != nil || code != 200 || len(p.Errors) > 0 || p.Data.Person == nil {
		t.Fatalf("citizen query: %d %s", code, body)
	}
	if p.Data.Person.LastName != latest.LastName || p.Data.Person.Region.Kato != string(latest.Region) {
		t.Errorf("person = %+v, the register holds %s in %s", p.Data.Person, latest.LastName, latest.Region)
	}
	enrolled := false
	for _, e := range p.Data.Person.Enrollments {
		enrolled = enrolled || e.School.Name == schoolName
	}
	if !enrolled {
		t.Errorf("enrollments = %+v, want one at %q", p.Data.Person.Enrollments, schoolName)
	}
}
