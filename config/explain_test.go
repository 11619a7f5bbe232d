package config

import (
	"bytes"
	"context"
	"net/netip"
	"reflect"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// explainCorpus exercises every rule, alone and together.
var explainCorpus = []string{
	"/x", "/hooklab/sink/a?x=1", "http://127.0.0.1:8080/a", "https://a.example.com:443/x?y", "http://[::ffff:10.0.0.1]/",
	"http://a@169.254.169.254", "HTTP://LOCALHOST./", "ftp://x", "ftp://example.com:21/", "http://[::1", "http:///p",
	"https://x.a.org.", "//evil.com/x", "http://mixed.test", "http://0x7f.1/", "http://example.com:99999/",
	"http://exa mple.com/", "https://example.com:abc/", "http://priv.test:8080/", "http://nx.test/", "https://a.org/",
	"http://loop.test:1/" + strings.Repeat("a", 60), "example.com/hook", "mailto:a@b.com", "http://0/",
}

// TestExplainKeepsThePlatformsDecision: Explain changes nothing Check
// decides, and what it adds is consistent with it.
func TestExplainKeepsThePlatformsDecision(t *testing.T) {
	for _, bits := range []uint16{0, 0xffff, 1, 1 | 32, 1 | 2 | 4 | 64 | 128, 1 | 8 | 16 | 32 | 64 | 128, 1 | 256 | 40<<9} {
		for _, raw := range explainCorpus {
			explainAgrees(t, fuzzPolicy(bits), raw)
		}
	}
}

func FuzzPolicyExplain(f *testing.F) {
	for _, s := range explainCorpus {
		f.Add(s, uint16(0))
		f.Add(s, uint16(0xffff))
		f.Add(s, uint16(1|2|4|64|128))
	}
	f.Fuzz(func(t *testing.T, raw string, bits uint16) {
		explainAgrees(t, fuzzPolicy(bits), raw)
	})
}

// explainAgrees fails unless p's Explain of raw is its Check plus
// failures and later checks that are consistent with it.
func explainAgrees(t *testing.T, p Policy, raw string) {
	t.Helper()
	res := testResolver()
	c := p.Check(context.Background(), raw, res)
	e := p.Explain(context.Background(), raw, CheckOptions{Resolver: res})
	if c.Failed != nil || c.Rest != nil {
		t.Fatalf("Check carries Explain's fields: %+v", c)
	}
	core := e
	core.Failed, core.Rest = nil, nil
	if !reflect.DeepEqual(c, core) {
		t.Fatalf("%q: Explain differs from Check\n%+v\n%+v", raw, c, core)
	}
	if c.Allowed != (len(e.Failed) == 0) || len(e.Rest) > 0 && c.Allowed {
		t.Fatalf("%q: allowed=%v with failures %+v", raw, c.Allowed, e.Failed)
	}
	for i, f := range e.Failed {
		if f.Reported != (i == 0) || f.Because == "" {
			t.Fatalf("%q: failure %d = %+v", raw, i, f)
		}
	}
	if len(e.Failed) > 0 && (e.Failed[0].Rule != c.Rule || e.Failed[0].Message != c.Message || e.Failed[0].Hint != c.Hint) {
		t.Fatalf("%q: the reported failure is not the platform's: %+v vs %+v", raw, e.Failed[0], c)
	}
	var failing []string
	for _, ch := range append(append([]Check(nil), e.Checks...), e.Rest...) {
		if !ch.Passed {
			failing = append(failing, ch.Rule)
		}
	}
	var failed []string
	for _, f := range e.Failed {
		failed = append(failed, f.Rule)
	}
	if !reflect.DeepEqual(failing, failed) {
		t.Fatalf("%q: failing checks %v, failures %v", raw, failing, failed)
	}
}

func TestExplainShowsEveryFailureAndTheSettingBehindIt(t *testing.T) {
	res := testResolver()
	p := policyFor(t, `{"allowed_ports": [443], "allowed_domains": ["*.example.com"], "disable_private_ips": true}`)
	d := p.Explain(context.Background(), "http://priv.test:8080/x", CheckOptions{Resolver: res})
	var got []string
	for _, f := range d.Failed {
		got = append(got, f.Rule+" "+f.Setting)
	}
	want := []string{"https webhooks.url.require_https", "port webhooks.url.allowed_ports",
		"domain webhooks.url.allowed_domains", "address webhooks.url.disable_private_ips"}
	if !reflect.DeepEqual(got, want) || d.Rule != RuleHTTPS || len(d.Rest) != 4 {
		t.Fatalf("failures %v, rule %q, rest %+v", got, d.Rule, d.Rest)
	}

	// A loopback host refused by the address check names disable_loopback,
	// and says why the loopback check passed.
	d = policyFor(t, "").Explain(context.Background(), "http://127.0.0.1:9/x", CheckOptions{Resolver: res})
	f := d.Failed[0]
	if f.Rule != RuleAddress || f.Setting != "webhooks.url.disable_loopback" || !strings.Contains(f.Because, "is true (default (webhooks.url absent))") ||
		!strings.Contains(f.Because, "the loopback check judges relative URLs only") {
		t.Fatalf("loopback refusal = %+v", f)
	}
	var b bytes.Buffer
	WriteDecisions(&b, []Decision{d}, false)
	for _, s := range []string{"  · loopback", "✗ address   disable_loopback=true", "refused by the address check: webhooks.url.disable_loopback is true"} {
		if !strings.Contains(b.String(), s) {
			t.Errorf("report lacks %q:\n%s", s, b.String())
		}
	}

	// Metadata: no setting allows it.
	d = policyFor(t, `{"require_https": false}`).Explain(context.Background(), "http://meta.test/", CheckOptions{Resolver: res})
	if f := d.Failed[0]; f.Setting != "" || !strings.Contains(f.Because, "always blocked") {
		t.Fatalf("metadata refusal = %+v", f)
	}
}

// countingResolver counts lookups and answers from testResolver.
type countingResolver struct{ n atomic.Int32 }

// LookupNetIP implements Resolver.
func (c *countingResolver) LookupNetIP(ctx context.Context, network, host string) ([]netip.Addr, error) {
	c.n.Add(1)
	return testResolver().LookupNetIP(ctx, network, host)
}

func TestExplainOffline(t *testing.T) {
	r := &countingResolver{}
	p := policyFor(t, `{"require_https": false, "disable_loopback": true}`)
	d := p.Explain(context.Background(), "http://example.com/x", CheckOptions{Resolver: r, Offline: true})
	last := d.Checks[len(d.Checks)-1]
	if !d.Allowed || !d.AddressNotRun || last.Rule != RuleAddress || !strings.Contains(last.Detail, "not run: offline") || r.n.Load() != 0 {
		t.Fatalf("offline decision %+v, %d lookups", d, r.n.Load())
	}
	var b bytes.Buffer
	WriteDecisions(&b, []Decision{d}, false)
	if !strings.Contains(b.String(), "allowed (offline: the address check was not run)") || !strings.Contains(b.String(), "  · address") {
		t.Fatalf("offline report:\n%s", b.String())
	}
	// Literals and localhost need no lookup: still judged offline.
	for _, raw := range []string{"http://127.0.0.1/", "http://localhost/", "http://2130706433/"} {
		d := p.Explain(context.Background(), raw, CheckOptions{Resolver: r, Offline: true})
		if d.Allowed || d.AddressNotRun || d.Rule != RuleAddress {
			t.Fatalf("%s offline: %+v", raw, d)
		}
	}
	if r.n.Load() != 0 {
		t.Fatalf("offline checks resolved %d names", r.n.Load())
	}
}

func TestResolveCache(t *testing.T) {
	r := &countingResolver{}
	c := NewResolveCache(r, time.Minute)
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	c.now = func() time.Time { return now }
	p := policyFor(t, `{"require_https": false, "disable_private_ips": true}`)
	for range 5 {
		if d := p.Explain(context.Background(), "http://priv.test/", CheckOptions{Resolver: c}); d.Rule != RuleAddress {
			t.Fatalf("through the cache: %+v", d)
		}
		if d := p.Explain(context.Background(), "http://nx.test/", CheckOptions{Resolver: c}); d.Message != "Failed to resolve webhook host" {
			t.Fatalf("a failure through the cache: %+v", d)
		}
	}
	if r.n.Load() != 2 {
		t.Fatalf("%d lookups for two names asked five times each", r.n.Load())
	}
	now = now.Add(2 * time.Minute)
	p.Explain(context.Background(), "http://priv.test/", CheckOptions{Resolver: c})
	if r.n.Load() != 3 {
		t.Fatalf("an expired answer was reused: %d lookups", r.n.Load())
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	c.LookupNetIP(ctx, "ip", "example.com")
	c.LookupNetIP(context.Background(), "ip", "example.com")
	if r.n.Load() != 5 {
		t.Fatalf("an answer cut short by the caller was kept: %d lookups", r.n.Load())
	}
}

func TestResolvePolicyNeedsNoEnvironment(t *testing.T) {
	f := mustParse(t, `{"graphs": {"a": "x"}, "webhooks": {"headers": {"Authorization": "Bearer ${{ env.LG_WEBHOOK_TOKEN }}"}, "url": {"require_https": false}}}`)
	if _, err := Resolve(f, func(string) (string, bool) { return "", false }); err == nil {
		t.Fatal("Resolve without the variable should fail (the premise of this test)")
	}
	p, err := ResolvePolicy(f)
	if err != nil || p.RequireHTTPS.Value || p.RequireHTTPS.Source != SourceExplicit {
		t.Fatalf("ResolvePolicy = %+v, %v", p, err)
	}
	bad := mustParse(t, `{"graphs": {"a": "x"}, "webhooks": {"headers": {"A": "${{ env.OTHER }}"}}}`)
	if _, err := ResolvePolicy(bad); err == nil || !strings.Contains(err.Error(), "must start with the configured env_prefix 'LG_WEBHOOK_'") {
		t.Fatalf("a bad prefix: %v", err)
	}
	if p, _ := ResolvePolicy(Default()); p.DisableLoopback.Source != SourceEmbedded {
		t.Fatalf("embedded default source = %q", p.DisableLoopback.Source)
	}
}
