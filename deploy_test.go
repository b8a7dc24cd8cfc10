package main

import (
	"bufio"
	"crypto/rand"
	"encoding/base64"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// placeholder is a value of deploy/birlik.env that the operator fills in.
var placeholder = regexp.MustCompile(`<[^>]+>`)

// TestDeployFiles: the systemd unit and the environment file of docs/deploy.md are what the
// gateway accepts: every variable of the environment file is a setting of `birlik serve` and,
// with its placeholders filled, the file and the unit's command line load without error; the
// unit passes `systemd-analyze verify` where systemd is installed.
func TestDeployFiles(t *testing.T) {
	env := map[string]string{}
	f, err := os.Open("deploy/birlik.env")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		name, value, ok := strings.Cut(line, "=")
		if !ok {
			t.Fatalf("deploy/birlik.env:%d: %q is not NAME=VALUE", n, line)
		}
		env[name] = placeholder.ReplaceAllStringFunc(value, fill)
	}
	if len(env) == 0 {
		t.Fatal("deploy/birlik.env sets nothing")
	}

	unit, err := os.ReadFile("deploy/systemd/birlik@.service")
	if err != nil {
		t.Fatal(err)
	}
	var args []string
	for _, line := range strings.Split(string(unit), "\n") {
		if cmd, ok := strings.CutPrefix(line, "ExecStart="); ok {
			fields := strings.Fields(strings.ReplaceAll(cmd, "%i", "8081"))
			if len(fields) < 2 || filepath.Base(fields[0]) != "birlik" || fields[1] != "serve" {
				t.Fatalf("ExecStart %q does not run birlik serve", cmd)
			}
			args = fields[2:]
		}
	}
	if args == nil {
		t.Fatal("the unit has no ExecStart")
	}
	for i, a := range args {
		if strings.HasPrefix(a, "/var/lib/birlik/") {
			args[i] = t.TempDir() // the data folder must be creatable here
		}
	}

	var known []string
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	cfg, err := loadOptions(fs, args, func(k string) string {
		known = append(known, k)
		return env[k]
	}, nil)
	if err != nil {
		t.Fatalf("birlik serve %s with deploy/birlik.env: %v", strings.Join(args, " "), err)
	}
	for name := range env {
		found := false
		for _, k := range known {
			found = found || k == name
		}
		if !found {
			t.Errorf("deploy/birlik.env sets %s, which birlik serve does not read", name)
		}
	}
	if cfg.Sources.Embedded() || cfg.DatabaseURL == "" || cfg.RedisURL == "" {
		t.Errorf("the deployment's settings leave the gateway on its embedded default: sources %v, DATABASE_URL set %v, REDIS_URL set %v", cfg.Sources, cfg.DatabaseURL != "", cfg.RedisURL != "")
	}

	analyze, err := exec.LookPath("systemd-analyze")
	if err != nil {
		t.Log("systemd-analyze is not installed (Debian package systemd): the unit's syntax is not verified")
		return
	}
	// verify needs the command to exist: this test's own binary stands in for birlik.
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	local := strings.ReplaceAll(string(unit), "/usr/local/bin/birlik", self)
	path := filepath.Join(dir, "birlik@8081.service")
	if err := os.WriteFile(path, []byte(local), 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(analyze, "verify", "--man=no", path).CombinedOutput()
	if err != nil || len(strings.TrimSpace(string(out))) > 0 {
		t.Errorf("systemd-analyze verify deploy/systemd/birlik@.service: %v\n%s", err, out)
	}
}

// fill returns a valid value for a placeholder of deploy/birlik.env.
func fill(p string) string {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	switch {
	case strings.Contains(p, "base64"):
		return base64.StdEncoding.EncodeToString(b)
	default:
		return fmt.Sprintf("%x", b)
	}
}
