package playground

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

func newHandler(t *testing.T, cfg Config) (*Handler, http.Handler) {
	t.Helper()
	h, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", h.ServePage)
	mux.HandleFunc("GET "+Prefix, func(w http.ResponseWriter, r *http.Request) {
		h.ServeAsset(w, r, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			http.Error(w, "no such file", http.StatusTeapot)
		}))
	})
	return h, mux
}

func do(t *testing.T, h http.Handler, path string, header map[string]string) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequest("GET", path, nil)
	for k, v := range header {
		req.Header.Set(k, v)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

// TestPage: the page links every file by its hashed URL and nothing outside the gateway, runs
// no inline script, carries its settings as JSON that no value can break out of, and is sent
// with the Content-Security-Policy and without caching.
func TestPage(t *testing.T) {
	cfg := Config{
		Title: "Birlik", Endpoint: "/query", StoragePrefix: "birlik",
		Headers: map[string]string{"Authorization": "Bearer demo-key", "X-Purpose": "case-management"},
		Tabs: []Tab{
			{Query: "query Citizen($iin: String!) { person(iin: $iin) { iin } }", Variables: `{"iin": "210221514167"}`},
			{Query: "# </script><script>alert(1)</script>\n{ regions { kato } }"},
		},
	}
	h, mux := newHandler(t, cfg)
	rec := do(t, mux, "/", nil)
	body := rec.Body.String()
	if rec.Code != 200 || rec.Header().Get("Content-Type") != "text/html; charset=utf-8" {
		t.Fatalf("GET / = %d %s", rec.Code, rec.Header().Get("Content-Type"))
	}
	if got := rec.Header().Get("Content-Security-Policy"); got != CSP || !strings.Contains(got, "script-src 'self';") || !strings.Contains(got, "connect-src 'self'") {
		t.Errorf("Content-Security-Policy = %q", got)
	}
	if got := rec.Header().Get("Cache-Control"); got != "no-store" {
		t.Errorf("the page's Cache-Control = %q, want no-store (it may carry the demo key)", got)
	}
	for _, f := range append(append([]string{}, stylesheets...), scripts...) {
		u := h.URL(f)
		if !regexp.MustCompile(`^/playground/[a-z.-]+\.[0-9a-f]{16}\.(js|css)$`).MatchString(u) || !strings.Contains(body, `"`+u+`"`) {
			t.Errorf("%s: URL %q, want a content-hashed /playground/ path linked from the page", f, u)
		}
	}
	if m := regexp.MustCompile(`(?i)(src|href)="(https?:)?//`).FindString(body); m != "" {
		t.Errorf("the page links outside the gateway: %s", m)
	}
	// Every <script> is either a file of the gateway or the JSON data block.
	for _, tag := range regexp.MustCompile(`<script[^>]*>`).FindAllString(body, -1) {
		if !strings.Contains(tag, `src="/playground/`) && tag != `<script type="application/json" id="playground-config">` {
			t.Errorf("the page has a script %s that the Content-Security-Policy would refuse", tag)
		}
	}
	if strings.Contains(body, "<script>alert(1)") {
		t.Error("a tab's text closed the settings block early")
	}
	m := regexp.MustCompile(`(?s)<script type="application/json" id="playground-config">(.*?)</script>`).FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("no settings block in\n%s", body)
	}
	var got settings
	if err := json.Unmarshal([]byte(m[1]), &got); err != nil {
		t.Fatalf("settings %s: %v", m[1], err)
	}
	if got.Endpoint != "/query" || got.StoragePrefix != "birlik" || got.Headers["Authorization"] != "Bearer demo-key" ||
		got.Headers["X-Purpose"] != "case-management" || len(got.Tabs) != 2 || got.Tabs[0] != cfg.Tabs[0] || got.Tabs[1] != cfg.Tabs[1] {
		t.Errorf("settings = %+v, want those of %+v", got, cfg)
	}
}

// TestAssets: each file is served under its hashed name with a year of caching, its type, an
// ETag (304 on a match) and gzip to clients that take it; an unknown name is the caller's 404.
func TestAssets(t *testing.T) {
	h, mux := newHandler(t, Config{Endpoint: "/query"})
	for _, f := range append(append([]string{}, stylesheets...), scripts...) {
		want, err := fs.ReadFile(files, "assets/"+f)
		if err != nil {
			t.Fatal(err)
		}
		u := h.URL(f)
		rec := do(t, mux, u, nil)
		ct := "text/javascript; charset=utf-8"
		if strings.HasSuffix(f, ".css") {
			ct = "text/css; charset=utf-8"
		}
		if rec.Code != 200 || !bytes.Equal(rec.Body.Bytes(), want) || rec.Header().Get("Content-Type") != ct ||
			rec.Header().Get("Cache-Control") != "public, max-age=31536000, immutable" || rec.Header().Get("Content-Encoding") != "" {
			t.Errorf("GET %s = %d, %d bytes, %v; want %d bytes of %s, cached for a year", u, rec.Code, rec.Body.Len(), rec.Header(), len(want), ct)
		}
		etag := rec.Header().Get("ETag")
		if rec := do(t, mux, u, map[string]string{"If-None-Match": etag}); rec.Code != http.StatusNotModified || etag == "" {
			t.Errorf("GET %s with If-None-Match %s = %d, want 304", u, etag, rec.Code)
		}
		rec = do(t, mux, u, map[string]string{"Accept-Encoding": "br, gzip;q=0.8"})
		zr, err := gzip.NewReader(rec.Body)
		if err != nil || rec.Header().Get("Content-Encoding") != "gzip" {
			t.Fatalf("GET %s accepting gzip: %v %v", u, rec.Header(), err)
		}
		if got, _ := io.ReadAll(zr); !bytes.Equal(got, want) {
			t.Errorf("GET %s gzipped: %d bytes unzipped, want the file's %d", u, len(got), len(want))
		}
		if rec := do(t, mux, u, map[string]string{"Accept-Encoding": "gzip;q=0"}); rec.Header().Get("Content-Encoding") != "" {
			t.Errorf("GET %s with gzip;q=0 was gzipped", u)
		}
	}
	for _, p := range []string{Prefix + "graphiql.min.js", Prefix + "vendor/graphiql.min.js", Prefix + "nope.0123456789abcdef.js", Prefix} {
		if rec := do(t, mux, p, nil); rec.Code != http.StatusTeapot {
			t.Errorf("GET %s = %d, want the caller's not-found handler", p, rec.Code)
		}
	}
}

// TestVendoredFiles: the vendored files are those update.sh wrote (VERSIONS holds their
// SHA-256), they name no source map, and their styles load nothing but data: URIs.
func TestVendoredFiles(t *testing.T) {
	f, err := os.Open(filepath.Join("assets", "vendor", "VERSIONS"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sums := map[string]string{}
	packages := 0
	for sc := bufio.NewScanner(f); sc.Scan(); {
		line := sc.Text()
		if m := regexp.MustCompile(`^([0-9a-f]{64}) (\S+)$`).FindStringSubmatch(line); m != nil {
			sums[m[2]] = m[1]
		} else if regexp.MustCompile(`^\S+@\d+\.\d+\.\d+ sha512-\S+$`).MatchString(line) {
			packages++
		}
	}
	if packages != 4 {
		t.Errorf("VERSIONS names %d packages, want graphiql, @graphiql/plugin-explorer, react and react-dom", packages)
	}
	entries, err := os.ReadDir(filepath.Join("assets", "vendor"))
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if e.Name() == "VERSIONS" {
			continue
		}
		b, err := os.ReadFile(filepath.Join("assets", "vendor", e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		sum := sha256.Sum256(b)
		if sums[e.Name()] != hex.EncodeToString(sum[:]) {
			t.Errorf("assets/vendor/%s differs from what update.sh wrote (VERSIONS): re-run update.sh rather than editing it", e.Name())
		}
		delete(sums, e.Name())
		if bytes.Contains(b, []byte("sourceMappingURL=")) {
			t.Errorf("assets/vendor/%s names a source map, which the gateway does not serve", e.Name())
		}
		if strings.HasSuffix(e.Name(), ".css") {
			if m := regexp.MustCompile(`@import|url\(\s*["']?(https?:)?//`).Find(b); m != nil {
				t.Errorf("assets/vendor/%s loads %s from outside the gateway", e.Name(), m)
			}
		}
	}
	for name := range sums {
		t.Errorf("VERSIONS lists %s, which assets/vendor lacks", name)
	}
}
