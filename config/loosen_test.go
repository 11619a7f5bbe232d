package config

import (
	"reflect"
	"strings"
	"testing"
)

func TestLoosenings(t *testing.T) {
	strict := `{"env_prefix": "LG_WEBHOOK_", "allowed_fields": ["run_id"], "url": {"require_https": true, "disable_loopback": true,
		"disable_private_ips": true, "allowed_ports": [443], "allowed_domains": ["a.com"], "max_url_length": 100}}`
	tests := []struct {
		name, from, to string
		want           []string // settings, in order
	}{
		{"same", strict, strict, nil},
		{"tighter", `{}`, strict, nil},
		{"everything", strict, `{"env_prefix": "", "url": {"require_https": false, "disable_loopback": false, "max_url_length": 200}}`,
			[]string{"webhooks.url.max_url_length", "webhooks.url.disable_loopback", "webhooks.url.require_https", "webhooks.url.allowed_ports",
				"webhooks.url.allowed_domains", "webhooks.url.disable_private_ips", "webhooks.env_prefix", "webhooks.allowed_fields"}},
		{"entries added", strict, strings.NewReplacer(`[443]`, `[443, 8443]`, `["a.com"]`, `["a.com", "*.b.com"]`, `["run_id"]`, `["run_id", "values"]`).Replace(strict),
			[]string{"webhooks.url.allowed_ports", "webhooks.url.allowed_domains", "webhooks.allowed_fields"}},
		{"url object removed", `{"url": {"require_https": true}}`, `{}`, []string{"webhooks.url.max_url_length", "webhooks.url.require_https"}},
		{"defaults to url object", `{}`, `{"url": {"require_https": false}}`, []string{"webhooks.url.disable_loopback"}},
		{"narrower prefix", `{"env_prefix": "LG_"}`, `{"env_prefix": "LG_WEBHOOK_"}`, nil},
		{"wider prefix", `{}`, `{"env_prefix": "LG_"}`, []string{"webhooks.env_prefix"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := mustParse(t, `{"graphs": {"a": "x"}, "webhooks": `+tt.from+`}`).Webhooks
			b := mustParse(t, `{"graphs": {"a": "x"}, "webhooks": `+tt.to+`}`).Webhooks
			var got []string
			for _, l := range Loosenings(a, b) {
				if l.Text == "" {
					t.Errorf("%s has no text", l.Setting)
				}
				got = append(got, l.Setting)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("got %v\nwant %v", got, tt.want)
			}
		})
	}
	ls := Loosenings(mustParse(t, `{"graphs": {"a": "x"}, "webhooks": `+strict+`}`).Webhooks,
		mustParse(t, `{"graphs": {"a": "x"}, "webhooks": {"url": {"allowed_ports": [443, 8443, 9443], "allowed_domains": []}}}`).Webhooks)
	texts := make([]string, len(ls))
	for i, l := range ls {
		texts[i] = l.Text
	}
	joined := strings.Join(texts, "\n")
	for _, s := range []string{"ports added: 8443, 9443", "every domain is allowed (the domain list was removed)", "every payload field is allowed"} {
		if !strings.Contains(joined, s) {
			t.Errorf("loosenings lack %q:\n%s", s, joined)
		}
	}
}

func TestFileLooseningsAgainstTheFileOnDisk(t *testing.T) {
	_, f := loadedFile(t, `{"graphs": {"a": "x"}, "webhooks": {"url": {"require_https": true, "allowed_ports": [443]}}}`)
	draft := f.Clone()
	draft.Webhooks.URL.RequireHTTPS = ptr(false)
	if ls := draft.Loosenings(); len(ls) != 1 || ls[0].Setting != "webhooks.url.require_https" {
		t.Fatalf("loosenings = %+v", ls)
	}
	if ls := f.Loosenings(); len(ls) != 0 {
		t.Fatalf("the file against itself: %+v", ls)
	}
	// The embedded default, saved, would allow loopback where no file
	// (the platform's defaults) did not.
	if ls := Default().Loosenings(); len(ls) != 1 || ls[0].Setting != "webhooks.url.disable_loopback" {
		t.Fatalf("embedded default loosenings = %+v", ls)
	}
}
