package httpapi

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/rs/cors"

	"github.com/birlik/birlik/auth"
)

// corsHandler answers the CORS preflights of browser apps on the allowed origins and marks the
// answers to them readable by those apps. A request from any other origin gets no CORS header,
// so the browser keeps its answer from the app. Credentials travel in the Authorization header,
// never in cookies, so credentialed CORS stays off.
func corsHandler(origins []string, next http.Handler) http.Handler {
	return cors.New(cors.Options{
		AllowedOrigins: origins,
		AllowedMethods: []string{http.MethodGet, http.MethodPost, http.MethodOptions},
		AllowedHeaders: []string{"Authorization", "Content-Type", auth.PurposeHeader, RequestIDHeader},
		ExposedHeaders: []string{RequestIDHeader, "Retry-After"},
		MaxAge:         int((10 * time.Minute).Seconds()),
	}).Handler(next)
}

// ParseCORSOrigins parses BIRLIK_CORS_ORIGINS: origins scheme://host[:port], comma-separated,
// each exactly as a browser sends it in Origin (no path, no trailing slash). Empty: none.
func ParseCORSOrigins(s string) ([]string, error) {
	var origins []string
	for _, part := range strings.Split(s, ",") {
		o := strings.TrimSpace(part)
		if o == "" {
			continue
		}
		if o == "*" || o == "null" {
			return nil, fmt.Errorf("%q: name each origin a browser app is served from, such as https://app.example.gov; any origin at all is not allowed", o)
		}
		u, err := url.Parse(o)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.Path != "" || u.RawQuery != "" || u.Fragment != "" || u.User != nil {
			return nil, fmt.Errorf("%q is not an origin: write scheme://host[:port], such as https://app.example.gov (no path, no trailing slash)", o)
		}
		if strings.ToLower(o) != o {
			return nil, fmt.Errorf("%q: write the origin in lower case, as browsers send it", o)
		}
		origins = append(origins, o)
	}
	return origins, nil
}
