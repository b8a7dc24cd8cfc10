// Package playground serves the GraphiQL playground from files embedded in the binary, so that
// it works on a closed network: GraphiQL, its explorer plugin and React/ReactDOM are vendored in
// assets/vendor/ from their npm packages at pinned versions (update.sh re-vendors them; VERSIONS
// records what is there), and the page itself is a template of this package with a script of its
// own (assets/birlik-playground.js). The page loads nothing but these files from the gateway.
//
// The files are served under content-hashed names below Prefix, cached by browsers for a year;
// the page is never cached (it may carry the demo key) and carries a Content-Security-Policy that
// lets it load and call only its own origin.
package playground

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"path"
	"strings"
	"sync"
)

// Prefix is the path below which the playground's files are served.
const Prefix = "/playground/"

// CSP is the page's Content-Security-Policy: everything from the gateway alone. The page has no
// inline script (its settings are a JSON data block, which browsers do not run) and no inline
// style; GraphiQL styles its elements through the DOM, which the policy does not restrict. Its
// dialogs' scroll lock (react-remove-scroll-bar) would add a <style> element, but skips it on
// this page, whose body never scrolls; were it added, only the scroll lock would be lost. Fonts
// and icons are data: URIs inside graphiql.min.css; fetches reach the gateway only.
const CSP = "default-src 'self'; script-src 'self'; style-src 'self'; " +
	"img-src 'self' data:; font-src 'self' data:; connect-src 'self'; object-src 'none'; " +
	"base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

//go:embed assets/birlik-playground.js assets/birlik-playground.css assets/vendor/*.js assets/vendor/*.css
var files embed.FS

// The files the page loads, in order: stylesheets in the head, scripts at the end of the body
// (React before ReactDOM, both before GraphiQL, GraphiQL before the plugin, the page's own last).
var (
	stylesheets = []string{"vendor/graphiql.min.css", "vendor/plugin-explorer.css", "birlik-playground.css"}
	scripts     = []string{"vendor/react.production.min.js", "vendor/react-dom.production.min.js",
		"vendor/graphiql.min.js", "vendor/plugin-explorer.umd.js", "birlik-playground.js"}
)

// Tab is one of the tabs the playground opens with (until the browser has tabs of its own
// stored).
type Tab struct {
	Query     string `json:"query"`
	Variables string `json:"variables,omitempty"` // JSON text, as shown in the variables editor
}

// Config is what the page is built from.
type Config struct {
	Title    string // the page's title
	Endpoint string // the GraphQL endpoint, a path on the gateway (/query)
	// Readiness is the gateway's readiness endpoint (/readyz), whose JSON the page polls to show,
	// above the editor, what the gateway is still doing while it is not ready (the first sync's
	// progress, the derived work) or what it serves with less while degraded; "": no such bar.
	Readiness string
	// Headers fill the headers editor of every tab, the opening ones and those added with +.
	Headers map[string]string
	// Tabs are the operations the page opens with; none: GraphiQL's welcome text.
	Tabs []Tab
	// StoragePrefix prefixes the page's keys in the browser's localStorage (tabs, headers).
	StoragePrefix string
}

// asset is one embedded file, served under its content-hashed name.
type asset struct {
	name        string // the hashed name below Prefix
	contentType string
	body        []byte
	etag        string

	gzipOnce sync.Once
	gzipped  []byte // body compressed with gzip, made on the first request that accepts it
}

// Handler serves the page and its files.
type Handler struct {
	cfg    Config
	byName map[string]*asset // by hashed name
	urls   map[string]string // file (as in stylesheets, scripts) → its URL
}

// New returns the playground's handler for cfg.
func New(cfg Config) (*Handler, error) {
	h := &Handler{cfg: cfg, byName: map[string]*asset{}, urls: map[string]string{}}
	for _, file := range append(append([]string{}, stylesheets...), scripts...) {
		body, err := fs.ReadFile(files, "assets/"+file)
		if err != nil {
			return nil, fmt.Errorf("playground: the embedded %s: %w", file, err)
		}
		sum := sha256.Sum256(body)
		ext := path.Ext(file)
		name := strings.TrimSuffix(path.Base(file), ext) + "." + hex.EncodeToString(sum[:8]) + ext
		ct := "text/javascript; charset=utf-8"
		if ext == ".css" {
			ct = "text/css; charset=utf-8"
		}
		h.byName[name] = &asset{name: name, contentType: ct, body: body, etag: `"` + hex.EncodeToString(sum[:16]) + `"`}
		h.urls[file] = Prefix + name
	}
	return h, nil
}

// page is the playground's HTML. Its settings go in a JSON data block, which html/template
// escapes for the script context (no "</script>" can end it early).
var page = template.Must(template.New("playground").Parse(`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.Title}}</title>
<link rel="icon" href="data:,">
{{- range .Stylesheets}}
<link rel="stylesheet" href="{{.}}">
{{- end}}
<script type="application/json" id="playground-config">{{.Settings}}</script>
</head>
<body>
<div id="birlik-status" role="status" aria-live="polite" hidden></div>
<div id="graphiql">Loading the playground…</div>
{{- range .Scripts}}
<script src="{{.}}"></script>
{{- end}}
</body>
</html>
`))

// settings is the page's JSON data block, read by birlik-playground.js.
type settings struct {
	Endpoint      string            `json:"endpoint"`
	Readiness     string            `json:"readiness,omitempty"`
	Headers       map[string]string `json:"headers"`
	Tabs          []Tab             `json:"tabs"`
	StoragePrefix string            `json:"storagePrefix"`
}

// ServePage serves the playground's page (GET /).
func (h *Handler) ServePage(w http.ResponseWriter, r *http.Request) {
	data := struct {
		Title                string
		Stylesheets, Scripts []string
		Settings             settings
	}{Title: h.cfg.Title, Settings: settings{Endpoint: h.cfg.Endpoint, Readiness: h.cfg.Readiness, Headers: h.cfg.Headers, Tabs: h.cfg.Tabs, StoragePrefix: h.cfg.StoragePrefix}}
	if data.Settings.Tabs == nil {
		data.Settings.Tabs = []Tab{}
	}
	for _, f := range stylesheets {
		data.Stylesheets = append(data.Stylesheets, h.urls[f])
	}
	for _, f := range scripts {
		data.Scripts = append(data.Scripts, h.urls[f])
	}
	var buf bytes.Buffer
	if err := page.Execute(&buf, data); err != nil {
		http.Error(w, "rendering the playground: "+err.Error(), http.StatusInternalServerError)
		return
	}
	hd := w.Header()
	hd.Set("Content-Type", "text/html; charset=utf-8")
	hd.Set("Content-Security-Policy", CSP)
	hd.Set("Cache-Control", "no-store") // it may hold the demo key, and names the current files
	hd.Set("X-Content-Type-Options", "nosniff")
	hd.Set("Referrer-Policy", "no-referrer")
	_, _ = w.Write(buf.Bytes())
}

// ServeAsset serves one of the page's files (GET Prefix+name) with long cache headers: a file's
// name changes with its content. An unknown name goes to notFound.
func (h *Handler) ServeAsset(w http.ResponseWriter, r *http.Request, notFound http.Handler) {
	a := h.byName[strings.TrimPrefix(r.URL.Path, Prefix)]
	if a == nil {
		notFound.ServeHTTP(w, r)
		return
	}
	hd := w.Header()
	hd.Set("Content-Type", a.contentType)
	hd.Set("Cache-Control", "public, max-age=31536000, immutable")
	hd.Set("X-Content-Type-Options", "nosniff")
	hd.Set("ETag", a.etag)
	hd.Add("Vary", "Accept-Encoding")
	if match := r.Header.Get("If-None-Match"); match != "" && strings.Contains(match, a.etag) {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	body := a.body
	if acceptsGzip(r) {
		a.gzipOnce.Do(func() { a.gzipped = compress(a.body) })
		body = a.gzipped
		hd.Set("Content-Encoding", "gzip")
	}
	hd.Set("Content-Length", fmt.Sprint(len(body)))
	if r.Method == http.MethodHead {
		return
	}
	_, _ = w.Write(body)
}

// URL returns the URL the page loads file from (as named in the page's lists, e.g.
// "vendor/graphiql.min.js"), or "".
func (h *Handler) URL(file string) string { return h.urls[file] }

// acceptsGzip reports whether r's Accept-Encoding takes gzip (without q=0).
func acceptsGzip(r *http.Request) bool {
	for _, part := range strings.Split(r.Header.Get("Accept-Encoding"), ",") {
		enc, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		if strings.EqualFold(strings.TrimSpace(enc), "gzip") {
			q := strings.ReplaceAll(params, " ", "")
			return q != "q=0" && q != "q=0.0" && q != "q=0.00" && q != "q=0.000"
		}
	}
	return false
}

// compress returns b gzipped.
func compress(b []byte) []byte {
	var buf bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	_, _ = zw.Write(b)
	_ = zw.Close()
	return buf.Bytes()
}
