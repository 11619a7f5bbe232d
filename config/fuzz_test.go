package config

import (
	"context"
	"errors"
	"os"
	"reflect"
	"slices"
	"strings"
	"testing"
)

// fuzzPolicy builds a policy from bits so the fuzzer explores every
// combination of settings and sources.
func fuzzPolicy(bits uint16) Policy {
	w := Webhooks{}
	if bits&1 != 0 {
		u := &URLOptions{}
		if bits&2 != 0 {
			u.RequireHTTPS = ptr(bits&4 != 0)
		}
		if bits&8 != 0 {
			u.DisableLoopback = ptr(bits&16 != 0)
		}
		if bits&32 != 0 {
			u.DisablePrivateIPs = ptr(true)
		}
		if bits&64 != 0 {
			u.AllowedPorts = []int{443, 8080}
		}
		if bits&128 != 0 {
			u.AllowedDomains = []string{"*.example.com", "a.org"}
		}
		if bits&256 != 0 {
			u.MaxURLLength = ptr(int(bits>>9) + 1)
		}
		w.URL = u
	}
	return EffectivePolicy(w)
}

func FuzzPolicyCheck(f *testing.F) {
	for _, s := range []string{"/x", "http://127.0.0.1:8080/a", "https://a.example.com:443/x?y", "http://[::ffff:10.0.0.1]/",
		"http://a@169.254.169.254", "HTTP://LOCALHOST./", "ftp://x", "http://[::1", "http:///p", "https://x.a.org.", "//evil.com/x",
		"http://mixed.test", "http://%31%32%37.0.0.1/", "http://[fe80::1%25eth0]/", "http://0x7f.1/"} {
		f.Add(s, uint16(0))
		f.Add(s, uint16(0xffff))
		f.Add(s, uint16(1|32))
	}
	res := testResolver()
	f.Fuzz(func(t *testing.T, raw string, bits uint16) {
		p := fuzzPolicy(bits)
		d := p.Check(context.Background(), raw, res)
		checkInvariants(t, d)
		if again := p.Check(context.Background(), raw, res); !reflect.DeepEqual(d, again) {
			t.Fatalf("not deterministic:\n%+v\n%+v", d, again)
		}
		if d.Allowed {
			for _, c := range d.Checks {
				if !c.Passed {
					t.Fatalf("allowed with a failed check: %+v", d)
				}
			}
		}
		if d.Allowed && !d.Relative && p.DisableLoopback.Value {
			// An allowed absolute URL never points at a loopback literal.
			if h := strings.ToLower(d.Checks[4].Value.(string)); h == "127.0.0.1" || h == "::1" || h == "localhost" {
				t.Fatalf("loopback allowed: %+v", d)
			}
		}
	})
}

func FuzzTemplate(f *testing.F) {
	for _, s := range []string{"Bearer ${{ env.LG_WEBHOOK_T }}", "${{env.LG_X}}${{ env.LG_Y }}", "${{ }}", "${{ env. }}",
		"${{ env.a.b }}", "${{ x }}", "${{", "}}${{ env.LG_A }}}}", "plain", "${{ env.OTHER }}", "${{ ${{ env.LG_A }} }}"} {
		f.Add(s, "LG_")
		f.Add(s, "")
	}
	lookup := func(name string) (string, bool) {
		if strings.HasPrefix(name, "LG_") {
			return "v-" + name, true
		}
		return "", false
	}
	f.Fuzz(func(t *testing.T, tmpl, prefix string) {
		v, secret, err := resolveTemplate(tmpl, prefix, lookup)
		v2, secret2, err2 := resolveTemplate(tmpl, prefix, lookup)
		if v != v2 || secret != secret2 || (err == nil) != (err2 == nil) {
			t.Fatal("not deterministic")
		}
		if err != nil {
			if !strings.HasPrefix(err.Error(), "webhook headers: ") {
				t.Fatalf("message %q", err)
			}
			return
		}
		if !strings.Contains(tmpl, "${{") && (v != tmpl || secret) {
			t.Fatalf("literal changed: %q -> %q secret=%v", tmpl, v, secret)
		}
		if !secret && v != tmpl {
			t.Fatalf("non-secret value differs from template: %q -> %q", tmpl, v)
		}
		if m := Mask(v); secret && strings.Contains(m, v) && v != "" {
			t.Fatalf("Mask(%q) = %q reveals the value", v, m)
		}
	})
}

func FuzzParse(f *testing.F) {
	for _, name := range []string{"testdata/rich.json", "testdata/formatted.json"} {
		data, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add(DefaultJSON())
	f.Add([]byte(`{"graphs":{"a":"x"},"http":{"disable_webhooks":true,"x":[1]},"webhooks":{"env_prefix":"","headers":{"A":"b","A":"c"},"allowed_fields":[],"url":{}}}`))
	f.Add([]byte(`{"graphs":{"a":"x"},"webhooks":{"url":{"allowed_domains":["*.a.com"],"allowed_ports":[1,65535],"max_url_length":1}}}`))
	f.Add([]byte(`{"graphs":{"\u00e9":"x"},"env":{"LG_A":"1"},"z":null}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		file, err := Parse("", data)
		if err != nil {
			var ce *Error
			if !errors.As(err, &ce) || strings.ContainsAny(err.Error(), "\r\n") {
				t.Fatalf("bad error %T %q", err, err)
			}
			return
		}
		out, err := file.Marshal()
		if err != nil {
			t.Fatal(err)
		}
		back, err := Parse("", out)
		if err != nil {
			t.Fatalf("Marshal output does not parse: %v\n%s", err, out)
		}
		if !slices.Equal(file.Graphs, back.Graphs) || !reflect.DeepEqual(file.Env, back.Env) ||
			file.HTTP != back.HTTP || !reflect.DeepEqual(file.Webhooks, back.Webhooks) ||
			!slices.Equal(file.raw.keys, back.raw.keys) {
			t.Fatalf("round trip changed managed values:\n%+v\n%+v\n%s", file, back, out)
		}
		c := file.Clone()
		c.HTTP.DisableWebhooks = !c.HTTP.DisableWebhooks
		if len(c.Webhooks.Headers) > 0 {
			c.Webhooks.Headers[0].Template += "x"
		}
		out2, err := c.Marshal()
		if err != nil {
			t.Fatal(err)
		}
		back2, err := Parse("", out2)
		if err != nil {
			t.Fatalf("edited Marshal output does not parse: %v\n%s", err, out2)
		}
		if back2.HTTP != c.HTTP || !reflect.DeepEqual(back2.Webhooks, c.Webhooks) {
			t.Fatalf("edit lost:\n%+v\n%+v", c.Webhooks, back2.Webhooks)
		}
	})
}
