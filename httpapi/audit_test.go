package httpapi_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// TestGraphQLOverHTTPAudit runs the server audit of the graphql-http package (the
// GraphQL-over-HTTP spec's reference audit) against /query and fails on any error or warning.
// It needs node and a folder whose node_modules holds graphql-http, named by
// BIRLIK_GRAPHQL_HTTP_DIR (.ci/run installs both); without them it is skipped.
func TestGraphQLOverHTTPAudit(t *testing.T) {
	node, err := exec.LookPath("node")
	if err != nil {
		t.Skip("skipped: node is not on PATH (.ci/run installs it, with graphql-http, and sets BIRLIK_GRAPHQL_HTTP_DIR)")
	}
	dir := os.Getenv("BIRLIK_GRAPHQL_HTTP_DIR")
	if dir == "" {
		t.Skip("skipped: BIRLIK_GRAPHQL_HTTP_DIR is not set (a folder where `npm install graphql-http` was run; .ci/run makes one)")
	}
	if _, err := os.Stat(filepath.Join(dir, "node_modules", "graphql-http", "package.json")); err != nil {
		t.Skipf("skipped: BIRLIK_GRAPHQL_HTTP_DIR=%s holds no node_modules/graphql-http: %v", dir, err)
	}
	srv, _, _ := newServer(t)
	cmd := exec.Command(node, filepath.Join("testdata", "audit.mjs"), srv.URL+"/query", key, dir)
	out, err := cmd.CombinedOutput()
	t.Logf("%s", out)
	if err != nil {
		t.Fatalf("the GraphQL-over-HTTP audit failed (%v): every line above that is not ok must be fixed", err)
	}
}
