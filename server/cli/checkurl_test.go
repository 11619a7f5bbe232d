package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"hooklab/config"
)

// runCheckURL runs the command in dir with the test resolver.
func runCheckURL(t *testing.T, dir string, env map[string]string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	t.Chdir(dir)
	return run(t, mapLookup(env), testResolver(), append([]string{"check-url"}, args...)...)
}

// mapLookup is a getenv over m.
func mapLookup(m map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) { v, ok := m[k]; return v, ok }
}

// writeFile writes s to path or fails.
func writeFile(t testing.TB, path, s string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(s), 0o600); err != nil {
		t.Fatal(err)
	}
}

// fakeResolver maps host names to addresses; other names do not resolve.
type fakeResolver map[string][]netip.Addr

// LookupNetIP implements config.Resolver.
func (f fakeResolver) LookupNetIP(_ context.Context, _, host string) ([]netip.Addr, error) {
	if a, ok := f[host]; ok {
		return a, nil
	}
	return nil, &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}
}

// testResolver knows the names these tests use.
func testResolver() fakeResolver {
	return fakeResolver{"example.com": {netip.MustParseAddr("93.184.216.34")}, "localhost": {netip.MustParseAddr("127.0.0.1"), netip.MustParseAddr("::1")}}
}

// policyFor builds the effective policy of a webhooks.url JSON object.
func policyFor(t testing.TB, urlJSON string) config.Policy {
	t.Helper()
	f, err := config.Parse("langgraph.json", []byte(`{"graphs": {"a": "x"}, "webhooks": {"url": `+urlJSON+`}}`))
	if err != nil {
		t.Fatal(err)
	}
	return config.EffectivePolicy(f.Webhooks)
}

func TestCheckURLCommandExitCodes(t *testing.T) {
	empty := t.TempDir()
	withFile := t.TempDir()
	writeFile(t, filepath.Join(withFile, "langgraph.json"), `{"graphs": {"a": "x"}}`) // webhooks.url absent: loopback blocked
	broken := t.TempDir()
	writeFile(t, filepath.Join(broken, "bad.json"), `{"graphs": {"a": "x"}, "webhooks": {"url": {"allowed_ports": ["x"]}}}`)
	writeFile(t, filepath.Join(broken, "tmpl.json"), `{"graphs": {"a": "x"}, "webhooks": {"headers": {"A": "${{ env.NOPE }}"}}}`)
	tests := []struct {
		name, dir string
		args      []string
		code      int
		stderr    string
	}{
		{"embedded default allows loopback", empty, []string{"http://127.0.0.1:9/x", "/hooklab/sink/a"}, 0, ""},
		{"./langgraph.json is used", withFile, []string{"/hooklab/sink/a"}, 1, ""},
		{"any refused", empty, []string{"https://example.com/", "http://169.254.169.254/"}, 1, ""},
		{"--config", broken, []string{"--config", filepath.Join(withFile, "langgraph.json"), "http://127.0.0.1/"}, 1, ""},
		{"-config=", broken, []string{"-config=" + filepath.Join(withFile, "langgraph.json"), "--json", "https://example.com"}, 0, ""},
		{"flags after URLs", broken, []string{"http://127.0.0.1/", "--config", filepath.Join(withFile, "langgraph.json"), "https://example.com", "--json"}, 1, ""},
		{"-- ends flags", empty, []string{"--json", "--", "https://example.com"}, 0, ""},
		{"no URL", empty, []string{"--json"}, 2, "hooklab check-url: no URL given; usage: hooklab check-url [--config FILE] [--json] URL...\n"},
		{"bad flag", empty, []string{"--nope", "http://x"}, 2, "hooklab check-url: flag provided but not defined: -nope; usage"},
		{"missing config", empty, []string{"--config", "nope.json", "http://x"}, 2, "hooklab check-url: nope.json: cannot read: no such file or directory; fix:"},
		{"broken config", broken, []string{"--config", "bad.json", "http://x"}, 2, "hooklab check-url: bad.json: webhooks.url.allowed_ports[0]: must be an integer port 1-65535, got \"x\"; fix:"},
		{"template error", broken, []string{"--config", "tmpl.json", "http://x"}, 2, "hooklab check-url: tmpl.json: webhooks.headers.A: webhook headers: environment variable name 'NOPE' must start with the configured env_prefix 'LG_WEBHOOK_'; fix:"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, errs := runCheckURL(t, tt.dir, nil, tt.args...)
			if code != tt.code {
				t.Fatalf("code = %d, want %d\nstdout: %s\nstderr: %s", code, tt.code, out, errs)
			}
			if !strings.HasPrefix(errs, tt.stderr) || (tt.stderr != "" && strings.Count(errs, "\n") != 1) {
				t.Fatalf("stderr = %q, want one line starting %q", errs, tt.stderr)
			}
			if tt.code == 2 && out != "" {
				t.Fatalf("stdout on error: %q", out)
			}
		})
	}
}

func TestCheckURLJSON(t *testing.T) {
	code, out, _ := runCheckURL(t, t.TempDir(), nil, "--json", "http://127.0.0.1:9/x?a=1&b=<2>", "http://169.254.169.254/")
	if code != 1 {
		t.Fatalf("code = %d", code)
	}
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	if len(lines) != 2 {
		t.Fatalf("want one line per URL, got %q", out)
	}
	var first map[string]any
	if err := json.Unmarshal([]byte(lines[0]), &first); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"url", "allowed", "rule", "message", "checks"} {
		if _, ok := first[k]; !ok {
			t.Errorf("missing %q in %s", k, lines[0])
		}
	}
	if first["url"] != "http://127.0.0.1:9/x?a=1&b=<2>" || first["allowed"] != true || first["rule"] != "" || !strings.Contains(lines[0], "&b=<2>") {
		t.Errorf("first = %s", lines[0])
	}
	check := first["checks"].([]any)[0].(map[string]any)
	if !reflect.DeepEqual(check, map[string]any{"rule": "length", "passed": true, "value": 2048.0, "source": config.SourceDefaultPresent, "detail": "30 characters"}) {
		t.Errorf("check = %v", check)
	}
	var second config.Decision
	if err := json.Unmarshal([]byte(lines[1]), &second); err != nil {
		t.Fatal(err)
	}
	if second.Allowed || second.Rule != config.RuleAddress || second.Message != "Webhook host blocked: cloud metadata address 169.254.169.254" {
		t.Errorf("second = %+v", second)
	}
}

func TestCheckURLText(t *testing.T) {
	_, out, _ := runCheckURL(t, t.TempDir(), nil, "https://example.com:8443/x", "/hooklab/sink/a")
	for _, want := range []string{
		"✓ https://example.com:8443/x  allowed\n",
		"  ✓ length    max_url_length=2048",
		"default (webhooks.url present)",
		"✓ address   disable_private_ips=false",
		"(resolved to 93.184.216.34)",
		"\n\n✓ /hooklab/sink/a  allowed\n",
		"→ relative URL: dispatched to hooklab's own server (in-process)",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("missing %q in\n%s", want, out)
		}
	}
	// A refusal by the address rule names the setting that refused.
	var lb bytes.Buffer
	absent := config.EffectivePolicy(config.Webhooks{})
	if err := config.WriteDecisions(&lb, []config.Decision{absent.Check(context.Background(), "http://localhost:9000/hook", testResolver())}, false); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(lb.String(), "✗ address   disable_loopback=true") {
		t.Errorf("a loopback refusal should name disable_loopback:\n%s", lb.String())
	}
	var b bytes.Buffer
	d := policyFor(t, `{"allowed_ports": [443]}`).Check(context.Background(), "https://example.com:8443/", testResolver())
	if err := config.WriteDecisions(&b, []config.Decision{d}, false); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"✗ https://example.com:8443/  refused", "✗ port", "allowed_ports=[443]", "explicit", "(port 8443)",
		"→ Webhook port 8443 not allowed", "hint: use one of the ports in webhooks.url.allowed_ports, or add 8443 to it"} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("missing %q in\n%s", want, b.String())
		}
	}
}

func TestCheckURLCommandRealResolverLiteral(t *testing.T) {
	t.Chdir(t.TempDir())
	// An IP literal needs no lookup, so the real entry point runs offline.
	if code, out, errs := run(t, nil, nil, "check-url", "--json", "http://[::1]:1/"); code != 0 {
		t.Fatalf("code %d: %s %s", code, out, errs)
	}
}

func TestCheckURLFlagsAnywhere(t *testing.T) {
	code, out, errs := runCheckURL(t, t.TempDir(), nil, "https://example.com/", "--json", "http://169.254.169.254/")
	if code != 1 || errs != "" {
		t.Fatalf("code %d, stderr %q", code, errs)
	}
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	if len(lines) != 2 || !json.Valid([]byte(lines[0])) || !strings.Contains(lines[1], `"rule":"address"`) {
		t.Fatalf("want two JSON lines (--json applies wherever it stands), got\n%s", out)
	}
}
