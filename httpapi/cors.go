package httpapi

import (
	"net/http"
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
