package config

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func TestCORSDefaultWithoutBlock(t *testing.T) {
	for _, doc := range []string{
		`{"graphs": {"a": "x"}}`,
		`{"graphs": {"a": "x"}, "http": {"disable_webhooks": false}}`,
	} {
		f, err := Parse("langgraph.json", []byte(doc))
		if err != nil {
			t.Fatal(err)
		}
		if got := f.CORS(); !reflect.DeepEqual(got, DefaultCORS()) {
			t.Errorf("%s: CORS() = %+v, want the platform's defaults", doc, got)
		}
	}
	if got := Default().CORS(); got.Configured || got.AllowOrigins[0] != "*" || !got.AllowCredentials || got.MaxAge != 600 {
		t.Errorf("embedded default CORS = %+v", got)
	}
}

func TestCORSBlockKeysAsGivenAndLayerDefaults(t *testing.T) {
	f, err := Parse("langgraph.json", []byte(`{"graphs": {"a": "x"}, "http": {"cors": {
		"allow_origins": ["http://localhost:3000"], "allow_origin_regex": "https://.*\\.example\\.com",
		"allow_methods": ["GET", "POST"], "allow_headers": ["x-api-key"], "allow_credentials": true,
		"expose_headers": ["content-location"], "max_age": 60}}}`))
	if err != nil {
		t.Fatal(err)
	}
	want := CORS{AllowOrigins: []string{"http://localhost:3000"}, AllowOriginRegex: `https://.*\.example\.com`,
		AllowMethods: []string{"GET", "POST"}, AllowHeaders: []string{"x-api-key"}, AllowCredentials: true,
		ExposeHeaders: []string{"content-location"}, MaxAge: 60, Configured: true}
	if got := f.CORS(); !reflect.DeepEqual(got, want) {
		t.Errorf("CORS() = %+v\nwant     %+v", got, want)
	}
	if len(f.Warnings) != 0 {
		t.Errorf("warnings for a complete block: %v", f.Warnings)
	}

	// A key left out takes the CORS layer's default, not the platform's.
	f, err = Parse("langgraph.json", []byte(`{"graphs": {"a": "x"}, "http": {"cors": {"allow_origins": ["http://a.test"], "colour": 1}}}`))
	if err != nil {
		t.Fatal(err)
	}
	want = CORS{AllowOrigins: []string{"http://a.test"}, AllowMethods: []string{"GET"}, MaxAge: 600, Configured: true}
	if got := f.CORS(); !reflect.DeepEqual(got, want) {
		t.Errorf("partial block: CORS() = %+v, want %+v", got, want)
	}
	joined := strings.Join(f.Warnings, "\n")
	if !strings.Contains(joined, "http.cors.colour is not a known key") || !strings.Contains(joined, "Content-Location") {
		t.Errorf("warnings %q: want the unknown key and the missing expose_headers", f.Warnings)
	}

	// An origin a browser can never send is taken, and named with the fix.
	f, err = Parse("langgraph.json", []byte(`{"graphs": {"a": "x"}, "http": {"cors": {"expose_headers": [],
		"allow_origins": ["http://a.test/", "localhost:3000", "HTTPS://b.test/app", "http://ok.test:3000", "*"]}}}`))
	if err != nil {
		t.Fatal(err)
	}
	joined = strings.Join(f.Warnings, "\n")
	for _, want := range []string{`"http://a.test/" never matches`, `(write "http://a.test")`, `(write "http://localhost:3000")`, `(write "https://b.test")`} {
		if !strings.Contains(joined, want) {
			t.Errorf("warnings %q: want %s", f.Warnings, want)
		}
	}
	if len(f.Warnings) != 3 {
		t.Errorf("want 3 warnings (the valid origins and * pass): %q", f.Warnings)
	}
	for o, want := range map[string]string{
		"http://[::1]:3000": "", "https://example.com:8443": "", "chrome-extension://abc": "", "null": "",
		"http://EXAMPLE.com": "http://example.com", "https://a.test:443": "https://a.test", "http://a.test:80": "http://a.test",
		" http://a.test": "http://a.test", "http://a.test?x": "http://a.test", "http://u@a.test": "http://a.test",
		"file://": "(none)", "http://": "(none)",
	} {
		fix, ok := originFix(o)
		switch {
		case want == "" && !ok:
			t.Errorf("originFix(%q) warns about a valid origin (fix %q)", o, fix)
		case want == "(none)" && (ok || fix != ""):
			t.Errorf("originFix(%q) = %q, %v; want no guess", o, fix, ok)
		case want != "" && want != "(none)" && (ok || fix != want):
			t.Errorf("originFix(%q) = %q, %v; want %q", o, fix, ok, want)
		}
	}
}

func TestCORSBadValuesNameTheKey(t *testing.T) {
	for _, c := range []struct{ cors, key, fix string }{
		{`"*"`, "http.cors", "use an object"},
		{`{"allow_origins": "*"}`, "http.cors.allow_origins", "list of strings"},
		{`{"allow_origins": ["*", 3]}`, "http.cors.allow_origins[1]", "list of strings"},
		{`{"allow_methods": [true]}`, "http.cors.allow_methods[0]", "list of strings"},
		{`{"allow_headers": {}}`, "http.cors.allow_headers", "list of strings"},
		{`{"expose_headers": null}`, "http.cors.expose_headers", "list of strings"},
		{`{"allow_credentials": "yes"}`, "http.cors.allow_credentials", "true or false"},
		{`{"allow_origin_regex": 5}`, "http.cors.allow_origin_regex", "pattern string"},
		{`{"allow_origin_regex": "(a"}`, "http.cors.allow_origin_regex", "missing closing )"},
		{`{"allow_origin_regex": "(?=x)"}`, "http.cors.allow_origin_regex", "lookarounds"},
		{`{"max_age": "600"}`, "http.cors.max_age", "whole number"},
		{`{"max_age": 1.5}`, "http.cors.max_age", "whole number"},
		{`{"max_age": -1}`, "http.cors.max_age", "whole number"},
	} {
		_, err := Parse("langgraph.json", []byte(`{"graphs": {"a": "x"}, "http": {"cors": `+c.cors+`}}`))
		e, ok := err.(*Error)
		if !ok {
			t.Errorf("cors %s: err = %v, want a *config.Error", c.cors, err)
			continue
		}
		if e.Key != c.key || !strings.Contains(e.Error(), c.fix) {
			t.Errorf("cors %s: key %q, error %q; want key %q mentioning %q", c.cors, e.Key, e.Error(), c.key, c.fix)
		}
	}
}

func TestCORSOriginRegexMatchesWholeOrigin(t *testing.T) {
	re, err := CompileOriginRegex(`https://.*\.example\.com`)
	if err != nil {
		t.Fatal(err)
	}
	for origin, want := range map[string]bool{
		"https://app.example.com":          true,
		"https://app.example.com.evil.net": false,
		"http://app.example.com":           false,
		"xhttps://app.example.com":         false,
	} {
		if re.MatchString(origin) != want {
			t.Errorf("%s: match %v, want %v", origin, !want, want)
		}
	}
}

// TestCORSKeptOnSave: http.cors is not hooklab's to rewrite. A save that
// changes http.disable_webhooks or the webhooks keeps it byte for byte.
func TestCORSKeptOnSave(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "langgraph.json")
	const block = `{"allow_origins": ["http://localhost:3000"], "max_age": 7, "future_key": {"x": [1, 2]}}`
	writeFile(t, path, `{"graphs": {"a": "x"}, "http": {"cors": `+block+`, "app": "./app.py:app"}}`)
	f, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	f.HTTP.DisableWebhooks = true
	f.Webhooks.URL = &URLOptions{RequireHTTPS: ptr(false)}
	if err := f.Save(""); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	back, err := Parse(path, data)
	if err != nil {
		t.Fatal(err)
	}
	h, _ := decodeObject(back.raw.vals["http"])
	if got := compact(t, h.vals["cors"]); got != compact(t, []byte(block)) {
		t.Errorf("http.cors after save = %s, want %s", got, block)
	}
	if got := back.CORS(); got.MaxAge != 7 || got.AllowOrigins[0] != "http://localhost:3000" || !back.HTTP.DisableWebhooks {
		t.Errorf("after save: CORS %+v, disable_webhooks %v", got, back.HTTP.DisableWebhooks)
	}
	if c := f.Clone().CORS(); c.MaxAge != 7 {
		t.Errorf("a clone lost http.cors: %+v", c)
	}
}
