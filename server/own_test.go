package server

import (
	"context"
	"encoding/json"
	"net/http"
	"net/netip"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"hooklab/config"
	"hooklab/sender"
)

// TestDeliveryRoutesTakeAPrefix: GET /hooklab/deliveries/{id} and its
// replay accept the 8 characters the dashboard shows, and an ambiguous
// prefix is a 409 naming the candidates.
func TestDeliveryRoutesTakeAPrefix(t *testing.T) {
	ts := mustStart(t)
	var run struct {
		RunID string `json:"run_id"`
	}
	ts.mustDo(t, "POST", "/runs", runBodyWith("/hooklab/sink/prefix", nil), 200, &run)
	d := ts.waitDelivery(t, run.RunID)

	var got sender.Delivery
	ts.mustDo(t, "GET", "/hooklab/deliveries/"+d.ID[:8], nil, 200, &got)
	if got.ID != d.ID || got.Origin != ts.URL {
		t.Fatalf("by prefix: %+v (origin want %s)", got, ts.URL)
	}
	var rep sender.Delivery
	ts.mustDo(t, "POST", "/hooklab/deliveries/"+d.ID[:8]+"/replay", map[string]any{}, 200, &rep)
	if rep.ReplayOf != d.ID || rep.Outcome != sender.OutcomeDelivered {
		t.Fatalf("replay by prefix: %+v", rep)
	}

	now := time.Now()
	for _, id := range []string{"feed0001-aaaa", "feed0002-bbbb"} {
		ts.Store.PutDelivery(sender.Delivery{ID: id, RunID: "r", URL: "/x", Outcome: sender.OutcomeDelivered, Body: json.RawMessage(`{}`), CreatedAt: now, UpdatedAt: now})
	}
	for _, path := range []string{"/hooklab/deliveries/feed000", "/hooklab/deliveries/feed000/replay"} {
		method := "GET"
		if strings.HasSuffix(path, "/replay") {
			method = "POST"
		}
		status, out, _ := ts.do(t, method, path, map[string]any{})
		var ans AmbiguousAnswer
		if status != http.StatusConflict || json.Unmarshal(out, &ans) != nil || len(ans.Candidates) != 2 ||
			!strings.Contains(ans.Detail, "feed0001-aaaa") || !strings.Contains(ans.Detail, "feed0002-bbbb") {
			t.Fatalf("%s %s: %d %s", method, path, status, out)
		}
	}
	if status, out, _ := ts.do(t, "GET", "/hooklab/deliveries/nope", nil); status != 404 || !strings.Contains(string(out), "delivery 'nope' not found") {
		t.Fatalf("unknown: %d %s", status, out)
	}
}

// countingResolver answers every name with one public address and counts
// the lookups.
type countingResolver struct{ n atomic.Int32 }

// LookupNetIP implements config.Resolver.
func (c *countingResolver) LookupNetIP(context.Context, string, string) ([]netip.Addr, error) {
	c.n.Add(1)
	return []netip.Addr{netip.MustParseAddr("93.184.216.34")}, nil
}

// TestCheckURLExplains: the URL tester gets every failure, the offline
// option skips resolving, and a tester session resolves a name once.
func TestCheckURLExplains(t *testing.T) {
	res := &countingResolver{}
	f, err := config.Parse("", []byte(`{"graphs": {"agent": "x"}, "webhooks": {"url": {"allowed_ports": [443], "allowed_domains": ["*.example.com"]}}}`))
	if err != nil {
		t.Fatal(err)
	}
	ts := mustStart(t, withRuntime(mustRuntime(t, f, nil)), func(c *Config) { c.Resolver = res })
	var d config.Decision
	ts.mustDo(t, "POST", "/hooklab/check-url", map[string]any{"url": "http://hooks.other.org:8080/x"}, 200, &d)
	var rules []string
	for _, f := range d.Failed {
		rules = append(rules, f.Rule)
	}
	if d.Rule != config.RuleHTTPS || strings.Join(rules, ",") != "https,port,domain" || !d.Failed[0].Reported || res.n.Load() != 1 {
		t.Fatalf("decision %+v, %d lookups", d, res.n.Load())
	}
	ts.mustDo(t, "POST", "/hooklab/check-url", map[string]any{"url": "https://a.example.com/x", "offline": true}, 200, &d)
	if !d.Allowed || !d.AddressNotRun || res.n.Load() != 1 {
		t.Fatalf("offline: %+v, %d lookups", d, res.n.Load())
	}

	tester := ts.Srv.NewURLTester()
	for _, raw := range []string{"https://a.example.com/", "https://a.example.com/x", "https://a.example.com/xy"} {
		if d := tester.Test(context.Background(), raw, false); !d.Allowed {
			t.Fatalf("%s: %+v", raw, d)
		}
	}
	if res.n.Load() != 2 {
		t.Fatalf("a tester session resolved one name %d times", res.n.Load()-1)
	}
}
