package cli

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"hooklab/config"
)

// TestCheckURLShowsEveryFailure: every failing check, the one the
// platform reports marked; --offline resolves nothing; the header
// variables need not be set (runCheckURL's environment is empty).
func TestCheckURLShowsEveryFailure(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "langgraph.json"), `{"graphs": {"a": "x"}, "webhooks": {
		"headers": {"Authorization": "Bearer ${{ env.LG_WEBHOOK_TOKEN }}"},
		"url": {"allowed_ports": [443], "allowed_domains": ["*.example.com"]}}}`)
	code, out, errs := runCheckURL(t, dir, nil, "--json", "http://localhost:8080/x")
	var d config.Decision
	if code != 1 || json.Unmarshal([]byte(out), &d) != nil {
		t.Fatalf("exit %d: %s%s", code, out, errs)
	}
	var rules []string
	for _, f := range d.Failed {
		rules = append(rules, f.Rule)
	}
	if d.Rule != config.RuleHTTPS || strings.Join(rules, ",") != "https,port,domain" || !d.Failed[0].Reported || d.Failed[1].Reported {
		t.Fatalf("decision %+v", d)
	}
	for _, k := range []string{`"rule":"https"`, `"message":"Webhook must use https"`, `"checks":[`, `"failed":[`} {
		if !strings.Contains(out, k) {
			t.Errorf("JSON lacks %s: %s", k, out)
		}
	}
	_, text, _ := runCheckURL(t, dir, nil, "http://localhost:8080/x")
	for _, s := range []string{"→ Webhook must use https", "refused by the https check: webhooks.url.require_https is true",
		"(the platform stops at the first failure; the checks below ran anyway)", "→ also: Webhook port 8080 not allowed", "→ also: Webhook domain not allowed"} {
		if !strings.Contains(text, s) {
			t.Errorf("text lacks %q:\n%s", s, text)
		}
	}

	// --offline: a name is not resolved, and the report says so. The
	// test resolver does not know this name: resolving would refuse it.
	code, out, errs = runCheckURL(t, dir, nil, "--offline", "https://hooks.example.com/x")
	if code != 0 || !strings.Contains(out, "allowed (offline: the address check was not run)") || !strings.Contains(out, "not run: offline, hooks.example.com was not resolved") {
		t.Fatalf("--offline: exit %d:\n%s%s", code, out, errs)
	}
	if code, out, _ := runCheckURL(t, dir, nil, "https://hooks.example.com/x"); code != 1 || !strings.Contains(out, "Failed to resolve webhook host") {
		t.Fatalf("online, the same URL: exit %d:\n%s", code, out)
	}
	if code, out, _ := runCheckURL(t, dir, nil, "--offline", "--json", "https://a.example.com:443/"); code != 0 || !strings.Contains(out, `"address_not_run":true`) {
		t.Fatalf("--offline --json: exit %d: %s", code, out)
	}
}
