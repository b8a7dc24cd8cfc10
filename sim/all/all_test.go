package all

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/birlik/birlik/gen"
)

func TestStartServesFiveInOrder(t *testing.T) {
	c, err := gen.Generate(gen.Config{Seed: 7, People: gen.MinPeople})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	set, err := Start(ctx, c, "")
	if err != nil {
		t.Fatal(err)
	}
	defer set.Close()
	urls := set.URLs()
	if len(urls) != len(Names) {
		t.Fatalf("%d URLs, want %d", len(urls), len(Names))
	}
	seen := map[string]bool{}
	for i, u := range urls {
		if u.Name != Names[i] {
			t.Errorf("URL %d is %s, want %s", i, u.Name, Names[i])
		}
		if !strings.HasPrefix(u.URL, "http://127.0.0.1:") || seen[u.URL] {
			t.Errorf("%s at %q: want a distinct loopback URL", u.Name, u.URL)
		}
		seen[u.URL] = true
		resp, err := http.Get(u.URL + "/no-such-path")
		if err != nil {
			t.Fatalf("%s: %v", u.Name, err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusNotFound {
			t.Errorf("%s answered %d to an unknown path, want 404", u.Name, resp.StatusCode)
		}
		if sm := set.Simulators()[i]; sm.Mux.Counter.Total() != 1 {
			t.Errorf("%s counted %d requests, want 1", u.Name, sm.Mux.Counter.Total())
		}
	}
	if set.URL("labour") != urls[1].URL {
		t.Errorf("URL(labour) = %q", set.URL("labour"))
	}
	cancel() // ending the context stops the servers
	set.Close()
	if _, err := http.Get(urls[0].URL + "/"); err == nil {
		t.Error("justice still answers after Close")
	}
}

func TestStartRejectsBadAddress(t *testing.T) {
	c := &gen.Country{}
	for _, addr := range []string{"127.0.0.1:x", "127.0.0.1:65534"} {
		if _, err := Start(context.Background(), c, addr); err == nil {
			t.Errorf("Start(%q) accepted", addr)
		}
	}
	if _, err := Start(context.Background(), nil, ""); err == nil {
		t.Error("Start(nil country) accepted")
	}
}

// TestStartOnlyServesTheNamed: with only, just the named simulators listen, on consecutive
// ports from the one given, and an unknown name is refused.
func TestStartOnlyServesTheNamed(t *testing.T) {
	c, err := gen.Generate(gen.Config{Seed: 7, People: gen.MinPeople})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	if _, err := Start(ctx, c, "", "health", "cadastre"); err == nil || !strings.Contains(err.Error(), `"cadastre"`) {
		t.Fatalf("Start with an unknown name: %v, want an error naming it", err)
	}
	set, err := Start(ctx, c, "", "health", "justice")
	if err != nil {
		t.Fatal(err)
	}
	defer set.Close()
	urls := set.URLs()
	if len(urls) != 2 || urls[0].Name != "justice" || urls[1].Name != "health" {
		t.Fatalf("URLs %v, want justice then health", urls)
	}
	if set.URL("labour") != "" {
		t.Errorf("labour listens at %q, want not at all", set.URL("labour"))
	}
	resp, err := http.Get(set.URL("health") + "/no-such-path")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound {
		t.Errorf("health answered %d to an unknown path, want 404", resp.StatusCode)
	}
}
