package config

import (
	"context"
	"net"
	"net/netip"
	"reflect"
	"slices"
	"strings"
	"testing"
)

// fakeResolver maps host names to addresses; other names do not resolve.
type fakeResolver map[string][]netip.Addr

// LookupNetIP implements Resolver.
func (f fakeResolver) LookupNetIP(_ context.Context, _, host string) ([]netip.Addr, error) {
	if a, ok := f[host]; ok {
		return a, nil
	}
	return nil, &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}
}

// testResolver knows a few names for the address rule.
func testResolver() fakeResolver {
	a := func(s ...string) []netip.Addr {
		var out []netip.Addr
		for _, x := range s {
			out = append(out, netip.MustParseAddr(x))
		}
		return out
	}
	return fakeResolver{
		"example.com": a("93.184.216.34"), "a.example.com": a("93.184.216.34"), "a.b.c.example.com": a("93.184.216.34"),
		"api.trusted.com": a("2606:2800:220:1::1"), "localhost": a("127.0.0.1", "::1"), "loop.test": a("127.0.0.1"),
		"loop6.test": a("::1"), "mapped.test": a("::ffff:127.0.0.1"), "meta.test": a("169.254.169.254"),
		"priv.test": a("10.1.2.3"), "mixed.test": a("93.184.216.34", "10.0.0.1"), "empty.test": nil,
	}
}

// policyFor builds the effective policy of a webhooks.url JSON object
// ("" means no webhooks.url key).
func policyFor(t testing.TB, urlJSON string) Policy {
	t.Helper()
	doc := `{"graphs": {"a": "x"}}`
	if urlJSON != "" {
		doc = `{"graphs": {"a": "x"}, "webhooks": {"url": ` + urlJSON + `}}`
	}
	return EffectivePolicy(mustParse(t, doc).Webhooks)
}

// checkInvariants asserts what every decision must satisfy.
func checkInvariants(t testing.TB, d Decision) {
	t.Helper()
	order := []string{RuleLength, RuleLoopback, RuleHTTPS, RulePort, RuleHostname, RuleDomain, RuleAddress}
	if len(d.Checks) == 0 {
		t.Fatalf("%q: no checks", d.URL)
	}
	for i, c := range d.Checks {
		if c.Rule != order[i] {
			t.Fatalf("%q: check %d is %q, want %q", d.URL, i, c.Rule, order[i])
		}
		last := i == len(d.Checks)-1
		if !c.Passed && (!last || d.Allowed) || c.Passed && last && !d.Allowed {
			t.Fatalf("%q: check %d passed=%v in %+v", d.URL, i, c.Passed, d)
		}
		if c.Source == "" {
			t.Fatalf("%q: check %s has no source", d.URL, c.Rule)
		}
	}
	if d.Allowed != (d.Rule == "") || d.Allowed != (d.Message == "") {
		t.Fatalf("%q: allowed=%v rule=%q message=%q", d.URL, d.Allowed, d.Rule, d.Message)
	}
	if !d.Allowed && d.Checks[len(d.Checks)-1].Rule != d.Rule {
		t.Fatalf("%q: rule %q is not the last check", d.URL, d.Rule)
	}
	if d.Allowed && !d.Relative && len(d.Checks) != len(order) {
		t.Fatalf("%q: allowed after %d checks", d.URL, len(d.Checks))
	}
}

func TestPolicyCheck(t *testing.T) {
	const (
		absent  = ""
		present = `{}`
		local   = `{"require_https": false}`
		private = `{"require_https": false, "disable_private_ips": true}`
		noLoop  = `{"require_https": false, "disable_loopback": true}`
	)
	long := "https://example.com/" + strings.Repeat("a", 2048-20)
	tests := []struct {
		policy, url string
		rule, msg   string // rule "" = allowed
	}{
		// 1 length
		{`{"max_url_length": 20}`, "https://example.com/", "", ""},
		{`{"max_url_length": 20}`, "https://example.com/a", RuleLength, "Webhook URL too long"},
		{`{"max_url_length": 21}`, "https://example.com/é", "", ""}, // characters, not bytes
		{present, long, "", ""},
		{present, long + "a", RuleLength, "Webhook URL too long"},
		{absent, "https://example.com/" + strings.Repeat("a", 4096-20), "", ""},
		{absent, "https://example.com/" + strings.Repeat("a", 4097-20), RuleLength, "Webhook URL too long"},
		// 2 relative
		{absent, "/hooklab/sink/a", RuleLoopback, "Loopback webhooks are disabled"},
		{present, "/hooklab/sink/a?x=1", "", ""},
		{noLoop, "/x", RuleLoopback, "Loopback webhooks are disabled"},
		{`{"require_https": true, "allowed_domains": ["a.com"], "allowed_ports": [1]}`, "/x", "", ""}, // no further checks
		// 3 https and schemes
		{absent, "http://example.com/", "", ""},
		{present, "http://example.com/", RuleHTTPS, "Webhook must use https"},
		{`{"require_https": true}`, "HTTP://example.com/", RuleHTTPS, "Webhook must use https"},
		{present, "HTTPS://example.com/", "", ""},
		{present, "ftp://example.com/", RuleHTTPS, "Webhook must use https"},
		{local, "ftp://example.com/", RuleHTTPS, "Webhook URL scheme must be http or https"},
		{local, "example.com/hook", RuleHostname, "Invalid webhook hostname ''"}, // no scheme, so no host
		{local, "javascript:alert(1)", RuleHostname, "Invalid webhook hostname ''"},
		{local, "mailto:a@b.com", RuleHostname, "Invalid webhook hostname ''"},
		{present, "example.com/hook", RuleHTTPS, "Webhook must use https"},
		// URLs Go cannot parse still fail the earliest check that applies
		{present, "http://8.8.8.8:abc/", RuleHTTPS, "Webhook must use https"},
		{present, "http://exa mple.com/", RuleHTTPS, "Webhook must use https"},
		{present, "https://example.com:abc/", RulePort, "Invalid webhook port 'abc'"},
		{present, "https://example.com:+80/", RulePort, "Invalid webhook port '+80'"},
		{`{"allowed_ports": [443], "require_https": false}`, "http://exa mple.com/", RulePort, "Webhook port 80 not allowed"},
		{`{"allowed_ports": [8080], "require_https": false}`, "http://a b:8080/", RuleHostname, "Invalid webhook URL: invalid character \" \" in host name"},
		{local, "http://[::1", RuleHostname, "Invalid webhook URL: missing ']' in host"},
		{local, "http://exa mple.com/", RuleHostname, "Invalid webhook URL: invalid character \" \" in host name"},
		// 4 ports
		{`{"allowed_ports": [443]}`, "https://example.com/", "", ""},
		{`{"allowed_ports": [443]}`, "https://example.com:8443/", RulePort, "Webhook port 8443 not allowed"},
		{`{"allowed_ports": [443], "require_https": false}`, "http://example.com/", RulePort, "Webhook port 80 not allowed"},
		{`{"allowed_ports": [8080], "require_https": false}`, "http://example.com:8080/x", "", ""},
		{local, "http://example.com:99999/", RulePort, "Invalid webhook port '99999'"},
		{local, "http://example.com:0/", RulePort, "Invalid webhook port '0'"},
		// 5 hostname
		{local, "http:///path", RuleHostname, "Invalid webhook hostname ''"},
		{local, "http://:8080/path", RuleHostname, "Invalid webhook hostname ''"},
		{local, "http://./", RuleHostname, "Invalid webhook hostname '.'"},
		{absent, "https:", RuleHostname, "Invalid webhook hostname ''"},
		// 6 domains
		{`{"allowed_domains": ["*.example.com"]}`, "https://a.example.com/", "", ""},
		{`{"allowed_domains": ["*.example.com"]}`, "https://a.b.c.example.com/", "", ""},
		{`{"allowed_domains": ["*.example.com"]}`, "https://example.com/", RuleDomain, "Webhook domain not allowed"},
		{`{"allowed_domains": ["*.example.com"]}`, "https://badexample.com/", RuleDomain, "Webhook domain not allowed"},
		{`{"allowed_domains": ["*.example.com"]}`, "https://A.EXAMPLE.COM./", "", ""},
		{`{"allowed_domains": ["*.example.com"]}`, "https://a.example.com.evil.org/", RuleDomain, "Webhook domain not allowed"},
		{`{"allowed_domains": [" API.Trusted.com "]}`, "https://api.trusted.com/", "", ""},
		{`{"allowed_domains": ["api.trusted.com"]}`, "https://x.api.trusted.com/", RuleDomain, "Webhook domain not allowed"},
		{`{"allowed_domains": ["example.com"]}`, "https://user@evil.org/?h=example.com", RuleDomain, "Webhook domain not allowed"},
		{`{"allowed_domains": ["example.com"]}`, "https://example.com@evil.org/", RuleDomain, "Webhook domain not allowed"},
		{`{"allowed_domains": []}`, "https://a.example.com/", "", ""},
		// 7 address: loopback
		{absent, "http://127.0.0.1:8080/x", RuleAddress, "Webhook host blocked: loopback address 127.0.0.1"},
		{absent, "http://127.5.6.7/", RuleAddress, "Webhook host blocked: loopback address 127.5.6.7"},
		{absent, "http://[::1]:9000/", RuleAddress, "Webhook host blocked: loopback address ::1"},
		{absent, "http://[::ffff:127.0.0.1]/", RuleAddress, "Webhook host blocked: loopback address ::ffff:127.0.0.1"},
		{absent, "http://a@127.0.0.1/", RuleAddress, "Webhook host blocked: loopback address 127.0.0.1"},
		{absent, "http://a:b@127.0.0.1:80/", RuleAddress, "Webhook host blocked: loopback address 127.0.0.1"},
		{absent, "http://localhost:3000/", RuleAddress, "Webhook host blocked: loopback host localhost"},
		{absent, "http://LocalHost./", RuleAddress, "Webhook host blocked: loopback host localhost"},
		{absent, "http://app.localhost/", RuleAddress, "Webhook host blocked: loopback host app.localhost"},
		{absent, "http://loop.test/", RuleAddress, "Webhook host blocked: loopback address 127.0.0.1"},
		{absent, "http://loop6.test/", RuleAddress, "Webhook host blocked: loopback address ::1"},
		{absent, "http://mapped.test/", RuleAddress, "Webhook host blocked: loopback address ::ffff:127.0.0.1"},
		{absent, "http://0.0.0.0:8000/", RuleAddress, "Webhook host blocked: unspecified address 0.0.0.0"},
		{absent, "http://10.0.0.5/", "", ""},
		{local, "http://127.0.0.1:8080/x", "", ""},
		{local, "http://localhost:8080/x", "", ""},
		{local, "http://[::1]/", "", ""},
		{noLoop, "http://[::1]/", RuleAddress, "Webhook host blocked: loopback address ::1"},
		// 7 address: cloud metadata, always
		{local, "http://169.254.169.254/latest/meta-data", RuleAddress, "Webhook host blocked: cloud metadata address 169.254.169.254"},
		{local, "http://[fd00:ec2::254]/", RuleAddress, "Webhook host blocked: cloud metadata address fd00:ec2::254"},
		{local, "http://[::ffff:169.254.169.254]/", RuleAddress, "Webhook host blocked: cloud metadata address ::ffff:169.254.169.254"},
		{local, "http://meta.test/", RuleAddress, "Webhook host blocked: cloud metadata address 169.254.169.254"},
		// IPv6 forms that carry an IPv4 address: judged as that address
		{local, "http://[64:ff9b::a9fe:a9fe]/", RuleAddress, "Webhook host blocked: cloud metadata address 64:ff9b::a9fe:a9fe"},
		{local, "http://[::a9fe:a9fe]/", RuleAddress, "Webhook host blocked: cloud metadata address ::a9fe:a9fe"},
		{absent, "http://[::7f00:1]/", RuleAddress, "Webhook host blocked: loopback address ::7f00:1"},
		{private, "http://[64:ff9b::a00:1]/", RuleAddress, "Webhook host blocked: private address 64:ff9b::a00:1"},
		{local, "http://[64:ff9b::808:808]/", "", ""},
		// legacy IPv4 spellings, as getaddrinfo reads them
		{local, "http://2852039166/", RuleAddress, "Webhook host blocked: cloud metadata address 169.254.169.254"},
		{local, "http://0xa9fea9fe/", RuleAddress, "Webhook host blocked: cloud metadata address 169.254.169.254"},
		{local, "http://0251.0376.0251.0376/", RuleAddress, "Webhook host blocked: cloud metadata address 169.254.169.254"},
		{local, "http://169.254.43518/", RuleAddress, "Webhook host blocked: cloud metadata address 169.254.169.254"},
		{absent, "http://127.1/", RuleAddress, "Webhook host blocked: loopback address 127.0.0.1"},
		{absent, "http://0x7f.1:8080/", RuleAddress, "Webhook host blocked: loopback address 127.0.0.1"},
		{absent, "http://0/", RuleAddress, "Webhook host blocked: unspecified address 0.0.0.0"},
		{local, "http://127.1/", "", ""},
		{absent, "http://169.254.169.254/", RuleAddress, "Webhook host blocked: cloud metadata address 169.254.169.254"},
		// 7 address: private ranges
		{private, "http://10.0.0.5/", RuleAddress, "Webhook host blocked: private address 10.0.0.5"},
		{private, "http://172.16.0.1/", RuleAddress, "Webhook host blocked: private address 172.16.0.1"},
		{private, "http://172.31.255.255/", RuleAddress, "Webhook host blocked: private address 172.31.255.255"},
		{private, "http://172.32.0.1/", "", ""},
		{private, "http://192.168.1.1/", RuleAddress, "Webhook host blocked: private address 192.168.1.1"},
		{private, "http://169.254.1.1/", RuleAddress, "Webhook host blocked: link-local address 169.254.1.1"},
		{private, "http://[fe80::1]/", RuleAddress, "Webhook host blocked: link-local address fe80::1"},
		{private, "http://100.64.0.1/", RuleAddress, "Webhook host blocked: CGNAT address 100.64.0.1"},
		{private, "http://100.127.255.255/", RuleAddress, "Webhook host blocked: CGNAT address 100.127.255.255"},
		{private, "http://100.128.0.1/", "", ""},
		{private, "http://[fc00::1]/", RuleAddress, "Webhook host blocked: unique-local address fc00::1"},
		{private, "http://[fd12:3456::1]/", RuleAddress, "Webhook host blocked: unique-local address fd12:3456::1"},
		{private, "http://[::ffff:10.0.0.1]/", RuleAddress, "Webhook host blocked: private address ::ffff:10.0.0.1"},
		{private, "http://priv.test/", RuleAddress, "Webhook host blocked: private address 10.1.2.3"},
		{private, "http://mixed.test/", RuleAddress, "Webhook host blocked: private address 10.0.0.1"},
		{private, "http://127.0.0.1/", "", ""}, // loopback is governed by disable_loopback only
		{private, "http://[2606:2800:220:1::1]/", "", ""},
		{local, "http://192.168.1.1/", "", ""},
		// 7 address: resolution
		{local, "http://nx.test/", RuleAddress, "Failed to resolve webhook host"},
		{local, "http://empty.test/", RuleAddress, "Failed to resolve webhook host"},
		{absent, "https://Example.COM:443/hook?token=x&y=<z>", "", ""},
	}
	res := testResolver()
	for _, tt := range tests {
		name := tt.policy + " " + tt.url
		if len(name) > 80 {
			name = name[:80]
		}
		t.Run(name, func(t *testing.T) {
			p := policyFor(t, tt.policy)
			d := p.Check(context.Background(), tt.url, res)
			checkInvariants(t, d)
			if d.Rule != tt.rule || d.Message != tt.msg {
				t.Fatalf("got rule=%q msg=%q, want rule=%q msg=%q\nchecks: %+v", d.Rule, d.Message, tt.rule, tt.msg, d.Checks)
			}
			if !d.Allowed && d.Hint == "" {
				t.Errorf("refusal without a hint: %+v", d)
			}
			if d.URL != tt.url {
				t.Errorf("URL = %q", d.URL)
			}
		})
	}
}

func TestPolicyRelativeAndHints(t *testing.T) {
	d := policyFor(t, "").Check(context.Background(), "/sink", nil)
	if d.Hint != "set webhooks.url.disable_loopback to false in langgraph.json (without a webhooks.url object the platform blocks loopback)" {
		t.Errorf("hint = %q", d.Hint)
	}
	d = policyFor(t, `{"disable_loopback": true}`).Check(context.Background(), "/sink", nil)
	if d.Hint != "set webhooks.url.disable_loopback to false in langgraph.json" {
		t.Errorf("hint = %q", d.Hint)
	}
	d = policyFor(t, `{}`).Check(context.Background(), "/sink", nil)
	if !d.Allowed || !d.Relative || len(d.Checks) != 2 {
		t.Errorf("relative = %+v", d)
	}
	d = policyFor(t, `{}`).Check(context.Background(), "https://[::1]/", nil) // nil resolver, IP literal: no lookup
	if !d.Allowed || d.Checks[6].Detail != "IP literal ::1" {
		t.Errorf("literal = %+v", d)
	}
}

func TestEffectivePolicySources(t *testing.T) {
	type row struct {
		maxLen                  int
		loop, https, private    bool
		ports                   []int
		domains                 []string
		srcLen, srcLoop, srcTLS string
		srcPorts, srcDom, srcPr string
	}
	A, P, E := SourceDefaultAbsent, SourceDefaultPresent, SourceExplicit
	tests := []struct {
		url  string
		want row
	}{
		{"", row{4096, true, false, false, []int{}, []string{}, A, A, A, A, A, A}},
		{`{}`, row{2048, false, true, false, []int{}, []string{}, P, P, P, P, P, P}},
		{`{"max_url_length": 10, "disable_loopback": true, "require_https": false, "disable_private_ips": true, "allowed_ports": [1], "allowed_domains": ["X.com "]}`,
			row{10, true, false, true, []int{1}, []string{"x.com"}, E, E, E, E, E, E}},
		{`{"require_https": false, "allowed_ports": []}`, row{2048, false, false, false, []int{}, []string{}, P, P, E, E, P, P}},
		{`{"disable_loopback": false, "max_url_length": 4096}`, row{4096, false, true, false, []int{}, []string{}, E, E, P, P, P, P}},
	}
	for _, tt := range tests {
		p := policyFor(t, tt.url)
		got := row{p.MaxURLLength.Value, p.DisableLoopback.Value, p.RequireHTTPS.Value, p.DisablePrivateIPs.Value,
			p.AllowedPorts.Value, p.AllowedDomains.Value, p.MaxURLLength.Source, p.DisableLoopback.Source,
			p.RequireHTTPS.Source, p.AllowedPorts.Source, p.AllowedDomains.Source, p.DisablePrivateIPs.Source}
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("%s:\ngot  %+v\nwant %+v", tt.url, got, tt.want)
		}
	}
}

func TestDecisionChecksCarryValuesAndSources(t *testing.T) {
	p := policyFor(t, `{"allowed_ports": [443], "allowed_domains": ["*.example.com"]}`)
	d := p.Check(context.Background(), "https://a.example.com/x", testResolver())
	if !d.Allowed {
		t.Fatalf("%+v", d)
	}
	want := []Check{
		{RuleLength, true, 2048, SourceDefaultPresent, "23 characters"},
		{RuleLoopback, true, false, SourceDefaultPresent, "absolute URL: loopback hosts are checked by the address rule"},
		{RuleHTTPS, true, true, SourceDefaultPresent, "scheme https"},
		{RulePort, true, []int{443}, SourceExplicit, "port 443"},
		{RuleHostname, true, "a.example.com", SourceAlways, ""},
		{RuleDomain, true, []string{"*.example.com"}, SourceExplicit, "host a.example.com"},
		{RuleAddress, true, false, SourceDefaultPresent, "resolved to 93.184.216.34"},
	}
	if !reflect.DeepEqual(d.Checks, want) {
		t.Fatalf("checks:\n%+v\nwant\n%+v", d.Checks, want)
	}
}

func TestBlockedAddr(t *testing.T) {
	all := Policy{DisableLoopback: Setting[bool]{Value: true}, DisablePrivateIPs: Setting[bool]{Value: true}}
	none := Policy{}
	tests := []struct {
		ip        string
		all, none string // reason; "" = allowed
	}{
		{"8.8.8.8", "", ""},
		{"127.0.0.1", "loopback address 127.0.0.1", ""},
		{"::1", "loopback address ::1", ""},
		{"::ffff:127.0.0.2", "loopback address ::ffff:127.0.0.2", ""},
		{"0.0.0.0", "unspecified address 0.0.0.0", ""},
		{"::", "unspecified address ::", ""},
		{"169.254.169.254", "cloud metadata address 169.254.169.254", "cloud metadata address 169.254.169.254"},
		{"fd00:ec2::254", "cloud metadata address fd00:ec2::254", "cloud metadata address fd00:ec2::254"},
		{"fe80::1%eth0", "link-local address fe80::1%eth0", ""},
		{"100.64.0.0", "CGNAT address 100.64.0.0", ""},
		{"100.63.255.255", "", ""},
		{"2001:db8::1", "", ""},
	}
	for _, tt := range tests {
		ip := netip.MustParseAddr(tt.ip)
		for _, c := range []struct {
			p    Policy
			want string
		}{{all, tt.all}, {none, tt.none}} {
			why, blocked := c.p.BlockedAddr(ip)
			if why != c.want || blocked != (c.want != "") {
				t.Errorf("%s: got %q %v, want %q", tt.ip, why, blocked, c.want)
			}
		}
	}
	if _, blocked := none.BlockedAddr(netip.Addr{}); !blocked {
		t.Error("the zero Addr must be blocked")
	}
}

func TestRuntimeCheckURLMatchesPolicy(t *testing.T) {
	rt, err := Resolve(Default(), nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range []string{"/hooklab/sink/x", "http://127.0.0.1:9/x", "http://169.254.169.254/"} {
		a := rt.CheckURL(context.Background(), u, testResolver())
		b := EffectivePolicy(rt.File.Webhooks).relabel(SourceExplicit, SourceEmbedded).Check(context.Background(), u, testResolver())
		if !reflect.DeepEqual(a, b) {
			t.Errorf("%s: %+v != %+v", u, a, b)
		}
		for _, c := range a.Checks {
			if c.Source == SourceExplicit {
				t.Errorf("%s: the embedded default's %s is labelled explicit", u, c.Rule)
			}
		}
	}
	if d := rt.CheckURL(context.Background(), "http://127.0.0.1:9/x", nil); !d.Allowed {
		t.Errorf("embedded default must allow local receivers: %+v", d)
	}
	if !slices.Equal(FieldNames(), []string{"run_id", "thread_id", "assistant_id", "created_at", "updated_at", "metadata",
		"status", "kwargs", "multitask_strategy", "run_started_at", "run_ended_at", "webhook_sent_at", "values", "error"}) {
		t.Error("FieldNames")
	}
}

// TestAddressCheckShowsTheSettingThatRefused: a loopback refusal shows
// disable_loopback, a metadata refusal "always", a private one disable_private_ips.
func TestAddressCheckShowsTheSettingThatRefused(t *testing.T) {
	p := EffectivePolicy(Webhooks{}) // webhooks.url absent: disable_loopback true by default
	last := func(d Decision) Check { return d.Checks[len(d.Checks)-1] }
	if c := last(p.Check(context.Background(), "http://127.0.0.1/x", testResolver())); c.Rule != RuleAddress || c.Value != true || c.Source != SourceDefaultAbsent {
		t.Errorf("loopback refusal shows %+v", c)
	}
	if c := last(p.Check(context.Background(), "http://169.254.169.254/", testResolver())); c.Value != true || c.Source != SourceAlways {
		t.Errorf("metadata refusal shows %+v", c)
	}
	on := true
	p = EffectivePolicy(Webhooks{URL: &URLOptions{DisablePrivateIPs: &on}})
	if c := last(p.Check(context.Background(), "https://10.0.0.5/x", testResolver())); c.Value != true || c.Source != SourceExplicit {
		t.Errorf("private refusal shows %+v", c)
	}
}

func TestInetAton(t *testing.T) {
	for in, want := range map[string]string{
		"127.1": "127.0.0.1", "0x7f.0.0.1": "127.0.0.1", "0X7F.1": "127.0.0.1", "017700000001": "127.0.0.1",
		"2852039166": "169.254.169.254", "169.254.43518": "169.254.169.254", "10.1.65535": "10.1.255.255",
		"0": "0.0.0.0", "00": "0.0.0.0", "255.255.255.255": "255.255.255.255",
		// not addresses: left to DNS
		"": "", "1.2.3.4.5": "", "256.1": "", "1.2.3.256": "", "1.16777216": "", "4294967296": "",
		"08": "", "0x": "", "0xg": "", "1..2": "", "+1": "", "1_0": "", "0b1": "", "example.com": "", "1e3": "",
	} {
		got, ok := inetAton(in)
		if want == "" {
			if ok {
				t.Errorf("inetAton(%q) = %v, want not an address", in, got)
			}
			continue
		}
		if !ok || got.String() != want {
			t.Errorf("inetAton(%q) = %v, %v; want %s", in, got, ok, want)
		}
	}
}
