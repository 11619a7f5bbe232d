package config

import (
	"errors"
	"strings"
	"testing"
)

// mapLookup is a process environment made of a map.
func mapLookup(m map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) { v, ok := m[k]; return v, ok }
}

func TestResolveTemplates(t *testing.T) {
	env := map[string]string{
		"LG_WEBHOOK_TOKEN": "s3cr3t-token", "LG_WEBHOOK_EMPTY": "", "LG_WEBHOOK_ID": "42",
		"MY_APP_SECRET": "app-secret", "OTHER_SECRET": "leak",
	}
	tests := []struct {
		name, prefix, tmpl string // prefix "-" means absent
		want, wantErr      string
		secret             bool
	}{
		{"literal", "-", "application/x", "application/x", "", false},
		{"spaces", "-", "Bearer ${{ env.LG_WEBHOOK_TOKEN }}", "Bearer s3cr3t-token", "", true},
		{"no spaces", "-", "${{env.LG_WEBHOOK_TOKEN}}", "s3cr3t-token", "", true},
		{"odd spaces", "-", "${{   env.LG_WEBHOOK_ID\t}}", "42", "", true},
		{"mixed many", "-", "id=${{ env.LG_WEBHOOK_ID }}&t=${{env.LG_WEBHOOK_TOKEN}}!", "id=42&t=s3cr3t-token!", "", true},
		{"empty value ok", "-", "x${{ env.LG_WEBHOOK_EMPTY }}y", "xy", "", true},
		{"unterminated stays literal", "-", "a ${{ env.LG_WEBHOOK_ID", "a ${{ env.LG_WEBHOOK_ID", "", false},
		{"single braces literal", "-", "${ env.LG_WEBHOOK_ID }", "${ env.LG_WEBHOOK_ID }", "", false},
		{"not env", "-", "${{ secrets.X }}", "", "webhook headers: only env.VAR references are allowed", false},
		{"bare name", "-", "${{ LG_WEBHOOK_ID }}", "", "webhook headers: only env.VAR references are allowed", false},
		{"empty expr", "-", "${{ }}", "", "webhook headers: only env.VAR references are allowed", false},
		{"empty name", "-", "${{ env. }}", "", "webhook headers: invalid env reference 'env.'", false},
		{"first problem wins: prefix", "-", "${{ env.OTHER_SECRET }} ${{ secrets.B }}", "", "webhook headers: environment variable name 'OTHER_SECRET' must start with the configured env_prefix 'LG_WEBHOOK_'", false},
		{"first problem wins: syntax", "-", "${{ secrets.B }} ${{ env.OTHER_SECRET }}", "", "webhook headers: only env.VAR references are allowed", false},
		{"first problem wins: missing", "-", "${{ env.LG_WEBHOOK_NOPE }} ${{ env. }}", "", "webhook headers: missing required environment variable 'LG_WEBHOOK_NOPE'", false},
		{"dotted name", "-", "${{ env.LG_WEBHOOK_A.B }}", "", "webhook headers: invalid env reference 'env.LG_WEBHOOK_A.B'", false},
		{"space in name", "-", "${{ env.LG_WEBHOOK_A B }}", "", "webhook headers: invalid env reference 'env.LG_WEBHOOK_A B'", false},
		{"default prefix", "-", "${{ env.OTHER_SECRET }}", "", "webhook headers: environment variable name 'OTHER_SECRET' must start with the configured env_prefix 'LG_WEBHOOK_'", false},
		{"custom prefix ok", "MY_APP_", "${{ env.MY_APP_SECRET }}", "app-secret", "", true},
		{"custom prefix refuses default", "MY_APP_", "${{ env.LG_WEBHOOK_TOKEN }}", "", "webhook headers: environment variable name 'LG_WEBHOOK_TOKEN' must start with the configured env_prefix 'MY_APP_'", false},
		{"empty prefix disables", "", "${{ env.OTHER_SECRET }}", "leak", "", true},
		{"missing", "-", "${{ env.LG_WEBHOOK_NOPE }}", "", "webhook headers: missing required environment variable 'LG_WEBHOOK_NOPE'", false},
		{"first error wins", "-", "${{ env.OTHER }}${{ env.LG_WEBHOOK_NOPE }}", "", "must start with the configured env_prefix", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := mustParse(t, `{"graphs": {"a": "x"}}`)
			if tt.prefix != "-" {
				f.Webhooks.EnvPrefix = ptr(tt.prefix)
			}
			f.Webhooks.Headers = []Header{{"X-H", tt.tmpl}}
			rt, err := Resolve(f, mapLookup(env))
			if tt.wantErr != "" {
				var ce *Error
				if !errors.As(err, &ce) {
					t.Fatalf("err = %v, want *Error", err)
				}
				if ce.Message != tt.wantErr && !strings.Contains(ce.Message, tt.wantErr) {
					t.Errorf("message = %q, want %q", ce.Message, tt.wantErr)
				}
				if ce.Key != "webhooks.headers.X-H" || ce.Fix == "" {
					t.Errorf("Key=%q Fix=%q", ce.Key, ce.Fix)
				}
				for _, v := range env {
					if len(v) > 3 && strings.Contains(err.Error(), v) {
						t.Errorf("error leaks a value: %v", err)
					}
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			h := rt.Headers[0]
			if h.Value != tt.want || h.Secret != tt.secret {
				t.Errorf("got %q secret=%v, want %q secret=%v", h.Value, h.Secret, tt.want, tt.secret)
			}
			wantMasked := tt.want
			if tt.secret {
				wantMasked = Mask(tt.want)
			}
			if h.Masked != wantMasked {
				t.Errorf("Masked = %q, want %q", h.Masked, wantMasked)
			}
		})
	}
}

func TestResolveUsesFileEnvUnderProcess(t *testing.T) {
	f, err := Load("testdata/rich.json")
	if err != nil {
		t.Fatal(err)
	}
	rt, err := Resolve(f, mapLookup(map[string]string{"LG_WEBHOOK_TOKEN": "from-process"}))
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, h := range rt.Headers {
		got[h.Name] = h.Value
	}
	if got["Authorization"] != "Bearer from-process" || got["X-Mixed"] != "id=id 42;token=from-process" || got["X-Static"] != "a&b <c>" {
		t.Fatalf("headers = %q", got)
	}
	if rt.Headers[0].Masked != "Bear…" || rt.Headers[1].Secret || rt.Headers[1].Masked != "a&b <c>" {
		t.Fatalf("masking = %+v", rt.Headers)
	}
	if rt.Policy.RequireHTTPS.Source != SourceExplicit || len(rt.AllowedFields) != 3 || rt.DisableWebhooks {
		t.Fatalf("runtime = %+v", rt)
	}
}

func TestResolveRevalidatesEdits(t *testing.T) {
	f := Default()
	f.Webhooks.URL.AllowedDomains = []string{"a.*"}
	if _, err := Resolve(f, nil); err == nil || !strings.Contains(err.Error(), "embedded default: webhooks.url.allowed_domains wildcard") {
		t.Fatalf("err = %v", err)
	}
	f = Default()
	f.Webhooks.AllowedFields = []string{}
	rt, err := Resolve(f, nil)
	if err != nil || rt.AllowedFields != nil {
		t.Fatalf("empty allowed_fields must mean all fields: %v %v", rt.AllowedFields, err)
	}
}

func TestResolvedLineBreakRefused(t *testing.T) {
	f := Default()
	f.Webhooks.Headers = []Header{{"X", "${{ env.LG_WEBHOOK_NL }}"}}
	_, err := Resolve(f, mapLookup(map[string]string{"LG_WEBHOOK_NL": "abc\r\nInjected: 1"}))
	if err == nil || strings.Contains(err.Error(), "Injected") {
		t.Fatalf("err = %v", err)
	}
}

func TestMask(t *testing.T) {
	for in, want := range map[string]string{
		"": "…", "abc": "…", "abcd": "…", "abcde": "abcd…", "Bearer xyz": "Bear…", "ünïcödé": "ünïc…",
	} {
		if got := Mask(in); got != want {
			t.Errorf("Mask(%q) = %q, want %q", in, got, want)
		}
	}
}
