package config

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
)

// mustParse parses data or fails the test.
func mustParse(t testing.TB, data string) *File {
	t.Helper()
	f, err := Parse("langgraph.json", []byte(data))
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	return f
}

func TestDefault(t *testing.T) {
	f := Default()
	if !f.Embedded || f.Path != "" {
		t.Fatalf("Embedded=%v Path=%q, want true and \"\"", f.Embedded, f.Path)
	}
	if !slices.Equal(f.Graphs, []string{"agent"}) {
		t.Fatalf("Graphs = %v", f.Graphs)
	}
	u := f.Webhooks.URL
	if u == nil || u.RequireHTTPS == nil || *u.RequireHTTPS || u.DisableLoopback == nil || *u.DisableLoopback {
		t.Fatalf("webhooks.url = %+v, want require_https and disable_loopback false", u)
	}
	if string(DefaultJSON()) != `{"graphs": {"agent": "hooklab:echo"}, "webhooks": {"url": {"require_https": false, "disable_loopback": false}}}` {
		t.Fatalf("DefaultJSON = %s", DefaultJSON())
	}
	// Each call is independent: no shared mutable default.
	*Default().Webhooks.URL.RequireHTTPS = true
	if *Default().Webhooks.URL.RequireHTTPS {
		t.Fatal("Default() returned shared state")
	}
}

func TestParseRich(t *testing.T) {
	f, err := Load("testdata/rich.json")
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"zeta", "agent", "alpha"}; !slices.Equal(f.Graphs, want) {
		t.Errorf("Graphs = %v, want %v (file order)", f.Graphs, want)
	}
	if f.Env["LG_WEBHOOK_TOKEN"] != "from-dotenv-token" || f.Env["LG_WEBHOOK_ID"] != "id 42" || f.Env["OTHER"] != "single # not a comment" {
		t.Errorf("Env = %q", f.Env)
	}
	if f.EnvFile != filepath.Join("testdata", ".env") {
		t.Errorf("EnvFile = %q", f.EnvFile)
	}
	w := f.Webhooks
	wantHeaders := []Header{
		{"Authorization", "Bearer ${{ env.LG_WEBHOOK_TOKEN }}"},
		{"X-Static", "a&b <c>"},
		{"X-Mixed", "id=${{env.LG_WEBHOOK_ID}};token=${{ env.LG_WEBHOOK_TOKEN }}"},
	}
	if !reflect.DeepEqual(w.Headers, wantHeaders) {
		t.Errorf("Headers = %+v", w.Headers)
	}
	if *w.EnvPrefix != "LG_WEBHOOK_" || !slices.Equal(w.AllowedFields, []string{"run_id", "status", "values"}) {
		t.Errorf("webhooks = %+v", w)
	}
	u := w.URL
	if !slices.Equal(u.AllowedPorts, []int{443, 8443}) || *u.MaxURLLength != 2048 || !*u.RequireHTTPS ||
		u.DisableLoopback != nil || u.DisablePrivateIPs != nil || len(u.AllowedDomains) != 2 {
		t.Errorf("url = %+v", u)
	}
	// http.cors without expose_headers exposes nothing on the platform.
	if len(f.Warnings) != 2 || !strings.Contains(f.Warnings[0], "http.cors has no expose_headers") ||
		!strings.Contains(f.Warnings[1], "webhooks.future_option") {
		t.Errorf("Warnings = %q", f.Warnings)
	}
}

func TestParseAbsentAndEmptyKept(t *testing.T) {
	f := mustParse(t, `{"graphs": {"a": "x"}, "webhooks": {"headers": {}, "allowed_fields": [], "url": {"allowed_domains": [], "allowed_ports": []}}}`)
	w := f.Webhooks
	if w.Headers == nil || w.AllowedFields == nil || w.URL.AllowedDomains == nil || w.URL.AllowedPorts == nil {
		t.Fatalf("empty lists must stay non-nil (present in the file): %+v %+v", w, w.URL)
	}
	g := mustParse(t, `{"graphs": {"a": "x"}}`)
	if g.Webhooks.URL != nil || g.Webhooks.Headers != nil || g.Env != nil || g.HTTP.DisableWebhooks {
		t.Fatalf("absent keys must stay nil: %+v", g)
	}
}

func TestParseErrors(t *testing.T) {
	const g = `"graphs": {"a": "x"}`
	tests := []struct {
		name, in string
		want     string // exact Error() when it starts with "langgraph.json", else a substring
	}{
		{"syntax", "{\n  \"graphs\": {\"a\": \"x\"},\n  \"http\": {,}\n}", "langgraph.json:3:12: invalid JSON: invalid character ',' looking for beginning of object key string; fix: correct the JSON at this position (comments and trailing commas are not allowed)"},
		{"trailing comma", "{\"graphs\": {\"a\": \"x\"},}", "langgraph.json:1:23: invalid JSON"},
		{"empty file", "", "langgraph.json:1:1: invalid JSON: unexpected end of JSON input"},
		{"top-level array", `[1]`, "top level must be a JSON object, got array"},
		{"missing graphs", `{}`, "langgraph.json: graphs: missing required key; fix: list your graphs, e.g. \"graphs\": {\"agent\": \"./agent.py:graph\"}"},
		{"empty graphs", `{"graphs": {}}`, "graphs: must list at least one graph"},
		{"graphs array", `{"graphs": ["a"]}`, `graphs: must be an object mapping graph ids to graphs, got ["a"]`},
		{"env number", `{` + g + `, "env": {"A": 1}}`, "env.A: must be a string, got number"},
		{"env null", `{` + g + `, "env": null}`, "env: must be an object or a .env file path, got null"},
		{"env missing file", `{` + g + `, "env": "nope.env"}`, "nope.env: env: cannot read the env file"},
		{"http not object", `{` + g + `, "http": true}`, "http: must be an object, got true"},
		{"disable_webhooks string", `{` + g + `, "http": {"disable_webhooks": "yes"}}`, `langgraph.json: http.disable_webhooks: must be true or false, got "yes"; fix: write true or false without quotes`},
		{"webhooks null", `{` + g + `, "webhooks": null}`, "webhooks: must be an object, got null"},
		{"env_prefix null", `{` + g + `, "webhooks": {"env_prefix": null}}`, "webhooks.env_prefix: must be a string, got null"},
		{"headers array", `{` + g + `, "webhooks": {"headers": []}}`, "webhooks.headers: must be an object mapping header names to strings"},
		{"header number", `{` + g + `, "webhooks": {"headers": {"X-N": 3}}}`, `langgraph.json: webhooks.headers.X-N: Webhook header values must be strings; fix: quote the value, e.g. "X-N": "3"`},
		{"header null", `{` + g + `, "webhooks": {"headers": {"X-N": null}}}`, "Webhook header values must be strings"},
		{"header bad name", `{` + g + `, "webhooks": {"headers": {"X Y": "v"}}}`, "is not a valid HTTP header name"},
		{"header newline", `{` + g + `, "webhooks": {"headers": {"X": "a\nb"}}}`, "must not contain line breaks"},
		{"allowed_fields bad", `{` + g + `, "webhooks": {"allowed_fields": ["run_id", "secret"]}}`, "langgraph.json: webhooks.allowed_fields contains invalid field 'secret'; fix: use only: run_id, thread_id, assistant_id, created_at, updated_at, metadata, status, kwargs, multitask_strategy, run_started_at, run_ended_at, webhook_sent_at, values, error"},
		{"allowed_fields string", `{` + g + `, "webhooks": {"allowed_fields": "run_id"}}`, `webhooks.allowed_fields: must be an array of strings, got "run_id"`},
		{"allowed_fields number", `{` + g + `, "webhooks": {"allowed_fields": [1]}}`, `webhooks.allowed_fields[0]: must be a string, got 1`},
		{"url array", `{` + g + `, "webhooks": {"url": []}}`, "webhooks.url: must be an object, got []"},
		{"wildcard middle", `{` + g + `, "webhooks": {"url": {"allowed_domains": ["a.*.com"]}}}`, "langgraph.json: webhooks.url.allowed_domains wildcard can only be used as a prefix, in the form '*.domain'; fix: write \"a.*.com\" as \"*.example.com\" (any subdomain) or an exact host name"},
		{"wildcard bare", `{` + g + `, "webhooks": {"url": {"allowed_domains": ["*"]}}}`, "wildcard can only be used as a prefix"},
		{"wildcard no dot", `{` + g + `, "webhooks": {"url": {"allowed_domains": ["*example.com"]}}}`, "wildcard can only be used as a prefix"},
		{"wildcard empty rest", `{` + g + `, "webhooks": {"url": {"allowed_domains": ["*."]}}}`, "wildcard can only be used as a prefix"},
		{"wildcard double", `{` + g + `, "webhooks": {"url": {"allowed_domains": ["*.*.example.com"]}}}`, "wildcard can only be used as a prefix"},
		{"domain empty", `{` + g + `, "webhooks": {"url": {"allowed_domains": ["ok.com", "  "]}}}`, "webhooks.url.allowed_domains[1]: must be a non-empty host name"},
		{"domain number", `{` + g + `, "webhooks": {"url": {"allowed_domains": [7]}}}`, "webhooks.url.allowed_domains[0]: must be a string, got 7"},
		{"port string", `{` + g + `, "webhooks": {"url": {"allowed_ports": [443, "abc"]}}}`, `langgraph.json: webhooks.url.allowed_ports[1]: must be an integer port 1-65535, got "abc"; fix: write each port as a number without quotes, e.g. 443`},
		{"port zero", `{` + g + `, "webhooks": {"url": {"allowed_ports": [0]}}}`, "allowed_ports[0]: must be an integer port 1-65535, got 0"},
		{"port big", `{` + g + `, "webhooks": {"url": {"allowed_ports": [65536]}}}`, "got 65536"},
		{"port float", `{` + g + `, "webhooks": {"url": {"allowed_ports": [44.3]}}}`, "got 44.3"},
		{"ports object", `{` + g + `, "webhooks": {"url": {"allowed_ports": {}}}}`, "webhooks.url.allowed_ports: must be an array of integer ports, got {}"},
		{"max zero", `{` + g + `, "webhooks": {"url": {"max_url_length": 0}}}`, "webhooks.url.max_url_length: must be a positive integer, got 0"},
		{"max string", `{` + g + `, "webhooks": {"url": {"max_url_length": "2048"}}}`, `must be a positive integer, got "2048"`},
		{"require_https string", `{` + g + `, "webhooks": {"url": {"require_https": "true"}}}`, `webhooks.url.require_https: must be true or false, got "true"`},
		{"disable_private_ips null", `{` + g + `, "webhooks": {"url": {"disable_private_ips": null}}}`, `webhooks.url.disable_private_ips: must be true or false, got null`},
		{"long value cut", `{` + g + `, "webhooks": {"url": {"disable_loopback": "` + strings.Repeat("x", 100) + `"}}}`, `got "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx…`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse("langgraph.json", []byte(tt.in))
			var ce *Error
			if !errors.As(err, &ce) {
				t.Fatalf("err = %v (%T), want *Error", err, err)
			}
			msg := err.Error()
			if strings.ContainsAny(msg, "\r\n") {
				t.Errorf("error spans lines: %q", msg)
			}
			if ce.Fix == "" || !strings.Contains(msg, "; fix: ") {
				t.Errorf("error has no fix: %q", msg)
			}
			if strings.Contains(tt.want, "; fix: ") {
				if msg != tt.want {
					t.Errorf("got  %s\nwant %s", msg, tt.want)
				}
			} else if !strings.Contains(msg, tt.want) {
				t.Errorf("got %q, want it to contain %q", msg, tt.want)
			}
		})
	}
}

func TestParseValidWildcardAndBOM(t *testing.T) {
	f := mustParse(t, "\xef\xbb\xbf"+`{"graphs": {"a": "x"}, "webhooks": {"url": {"allowed_domains": ["*.example.com", "exact.org"]}}}`)
	if len(f.Webhooks.URL.AllowedDomains) != 2 {
		t.Fatal(f.Webhooks.URL)
	}
}

func TestLoadErrors(t *testing.T) {
	_, err := Load(filepath.Join(t.TempDir(), "missing.json"))
	if err == nil || !strings.Contains(err.Error(), "missing.json: cannot read: no such file or directory; fix: create the file") {
		t.Fatalf("err = %v", err)
	}
}

func TestEnvRelativeToConfigDir(t *testing.T) {
	dir := t.TempDir()
	sub := filepath.Join(dir, "proj")
	if err := os.MkdirAll(sub, 0o755); err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(sub, "secrets.env"), "LG_WEBHOOK_X=1\n")
	writeFile(t, filepath.Join(sub, "langgraph.json"), `{"graphs": {"a": "x"}, "env": "secrets.env"}`)
	t.Chdir(dir) // the cwd is not the config's directory
	f, err := Load("proj/langgraph.json")
	if err != nil {
		t.Fatal(err)
	}
	if f.Env["LG_WEBHOOK_X"] != "1" {
		t.Fatalf("Env = %v", f.Env)
	}
}

// writeFile writes s to path or fails the test.
func writeFile(t testing.TB, path, s string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(s), 0o644); err != nil {
		t.Fatal(err)
	}
}
