package config

import (
	"context"
	"net/netip"
	"os"
	"testing"
)

func BenchmarkPolicyCheckLiteral(b *testing.B) {
	p := policyFor(b, `{"allowed_ports": [443], "allowed_domains": ["*.example.com"], "disable_private_ips": true}`)
	ctx, res := context.Background(), testResolver()
	for b.Loop() {
		if d := p.Check(ctx, "https://a.example.com/hook?x=1", res); !d.Allowed {
			b.Fatal(d)
		}
	}
}

func BenchmarkBlockedAddr(b *testing.B) {
	p := policyFor(b, `{"disable_loopback": true, "disable_private_ips": true}`)
	ip := netip.MustParseAddr("93.184.216.34")
	for b.Loop() {
		if _, bad := p.BlockedAddr(ip); bad {
			b.Fatal("blocked")
		}
	}
}

func BenchmarkParseRich(b *testing.B) {
	data, err := os.ReadFile("testdata/rich.json")
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, err := Parse("testdata/rich.json", data); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkResolve(b *testing.B) {
	f, err := Load("testdata/rich.json")
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, err := Resolve(f, nil); err != nil {
			b.Fatal(err)
		}
	}
}
