package e2e

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"hooklab/config"
	"hooklab/server/servertest"
)

// TestSDKConformance drives a real server with the official JS SDK
// (@langchain/langgraph-sdk, pinned in testdata/sdk/package-lock.json).
// It fails when node is missing unless HOOKLAB_SKIP_SDK=1.
func TestSDKConformance(t *testing.T) {
	if os.Getenv("HOOKLAB_SKIP_SDK") == "1" {
		t.Skip("HOOKLAB_SKIP_SDK=1")
	}
	node, err := exec.LookPath("node")
	if err != nil {
		t.Fatal("node is not installed: the SDK conformance test needs Node.js 18+ and npm (or set HOOKLAB_SKIP_SDK=1)")
	}
	dir, _ := filepath.Abs(filepath.Join("testdata", "sdk"))
	ensureSDK(t, dir)
	ts := servertest.StartLab(t, filepath.Join(t.TempDir(), "hooklab.db"), config.Default(), servertest.NoEnv)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, "conformance.mjs")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "HOOKLAB_URL="+ts.URL)
	out, err := cmd.CombinedOutput()
	t.Logf("%s", out)
	if err != nil {
		t.Fatalf("SDK conformance failed: %v", err)
	}
}

// TestSDKConformanceBinary runs the same SDK script against the built binary
// started as issue 2's check does: dev --headless --config FILE --store :memory:.
func TestSDKConformanceBinary(t *testing.T) {
	if os.Getenv("HOOKLAB_SKIP_SDK") == "1" {
		t.Skip("HOOKLAB_SKIP_SDK=1")
	}
	node, err := exec.LookPath("node")
	if err != nil {
		t.Fatal("node is not installed (or set HOOKLAB_SKIP_SDK=1)")
	}
	dir, _ := filepath.Abs(filepath.Join("testdata", "sdk"))
	ensureSDK(t, dir)
	cfg := filepath.Join(t.TempDir(), "langgraph.json")
	os.WriteFile(cfg, []byte(`{"graphs": {"agent": "./agent.py:graph", "other": "./other.py:graph"},
		"dependencies": ["."], "webhooks": {"url": {"require_https": false, "disable_loopback": false}}}`), 0o600)
	p := startHooklab(t, nil, "--config", cfg, "--store", ":memory:")
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, "conformance.mjs")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "HOOKLAB_URL="+p.URL)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("SDK conformance against the binary failed: %v\n%s\nhooklab stderr:\n%s", err, out, p.stderrText())
	}
}

// ensureSDK installs the pinned SDK into dir when it is missing.
func ensureSDK(t *testing.T, dir string) {
	t.Helper()
	if _, err := os.Stat(filepath.Join(dir, "node_modules", "@langchain", "langgraph-sdk", "package.json")); err == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "npm", "ci", "--no-audit", "--no-fund")
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("npm ci in %s: %v\n%s", dir, err, out)
	}
}
