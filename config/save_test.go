package config

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
)

// compact normalizes whitespace only, so string escapes and number
// spellings must survive byte for byte.
func compact(t testing.TB, raw []byte) string {
	t.Helper()
	var b bytes.Buffer
	if err := json.Compact(&b, raw); err != nil {
		t.Fatalf("compact %s: %v", raw, err)
	}
	return b.String()
}

// copyDir copies the fixture and its .env into a temp dir.
func copyFixture(t *testing.T, names ...string) string {
	t.Helper()
	dir := t.TempDir()
	for _, n := range names {
		data, err := os.ReadFile(filepath.Join("testdata", n))
		if err != nil {
			t.Fatal(err)
		}
		writeFile(t, filepath.Join(dir, n), string(data))
	}
	return dir
}

func TestRoundTripRich(t *testing.T) {
	dir := copyFixture(t, "rich.json", ".env")
	path := filepath.Join(dir, "rich.json")
	orig, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	f := orig.Clone()
	f.Webhooks.Headers[0].Template = "Token ${{ env.LG_WEBHOOK_OTHER }}"
	f.Webhooks.Headers = append(f.Webhooks.Headers, Header{"X-New", "<new>&"})
	f.HTTP.DisableWebhooks = true
	if err := f.Save(""); err != nil {
		t.Fatal(err)
	}
	back, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(back.raw.keys, orig.raw.keys) {
		t.Fatalf("key order changed:\n%v\n%v", back.raw.keys, orig.raw.keys)
	}
	for _, k := range orig.raw.keys {
		if k == "webhooks" || k == "http" {
			continue
		}
		if a, b := compact(t, orig.raw.vals[k]), compact(t, back.raw.vals[k]); a != b {
			t.Errorf("%s changed:\n%s\n%s", k, a, b)
		}
	}
	if !reflect.DeepEqual(back.Webhooks, f.Webhooks) || !back.HTTP.DisableWebhooks {
		t.Errorf("managed values not saved: %+v", back.Webhooks)
	}
	// http keeps its other subkeys and their order.
	wantHTTP := `{"cors":{"allow_origins":["*"],"max_age":600},"disable_webhooks":true,"app":"./src/app.py:app"}`
	if got := compact(t, back.raw.vals["http"]); got != wantHTTP {
		t.Errorf("http = %s", got)
	}
	// The unknown webhooks subkey and the key order inside webhooks survive.
	wantWH := `{"env_prefix":"LG_WEBHOOK_","headers":{"Authorization":"Token ${{ env.LG_WEBHOOK_OTHER }}","X-Static":"a&b <c>","X-Mixed":"id=${{env.LG_WEBHOOK_ID}};token=${{ env.LG_WEBHOOK_TOKEN }}","X-New":"<new>&"},"allowed_fields":["run_id","status","values"],"future_option":{"keep":[1, 2.50, 3e2]},"url":{"allowed_domains":["*.mycompany.com"," API.Trusted-Service.com "],"require_https":true,"allowed_ports":[443,8443],"max_url_length":2048}}`
	if got := compact(t, back.raw.vals["webhooks"]); got != compact(t, []byte(wantWH)) {
		t.Errorf("webhooks = %s", got)
	}
	data, _ := os.ReadFile(path)
	if !bytes.Contains(data, []byte("\n    \"dependencies\"")) {
		t.Errorf("the 4-space indent of the original was not kept:\n%s", data)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 2 {
		t.Errorf("temp files left behind: %v", entries)
	}
}

func TestMarshalUnchangedIsIdentity(t *testing.T) {
	data, err := os.ReadFile("testdata/formatted.json")
	if err != nil {
		t.Fatal(err)
	}
	f, err := Parse("formatted.json", data)
	if err != nil {
		t.Fatal(err)
	}
	out, err := f.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(out, data) {
		t.Fatalf("unchanged file re-rendered differently:\n%s\nwant\n%s", out, data)
	}
}

func TestMarshalManagedKeys(t *testing.T) {
	tests := []struct {
		name, in string
		edit     func(*File)
		want     string // compact JSON
	}{
		{"add http", `{"graphs":{"a":"x"}}`, func(f *File) { f.HTTP.DisableWebhooks = true },
			`{"graphs":{"a":"x"},"http":{"disable_webhooks":true}}`},
		{"false stays absent", `{"graphs":{"a":"x"},"http":{"app":"y"}}`, func(f *File) {},
			`{"graphs":{"a":"x"},"http":{"app":"y"}}`},
		{"clear webhooks absent before", `{"graphs":{"a":"x"}}`, func(f *File) { f.Webhooks.Headers = []Header{} },
			`{"graphs":{"a":"x"}}`},
		{"clear webhooks present before", `{"webhooks":{"headers":{"A":"b"}},"graphs":{"a":"x"}}`, func(f *File) { f.Webhooks = Webhooks{} },
			`{"webhooks":{},"graphs":{"a":"x"}}`},
		{"add url", `{"graphs":{"a":"x"},"z":1}`, func(f *File) { f.Webhooks.URL = &URLOptions{DisableLoopback: ptr(false)} },
			`{"graphs":{"a":"x"},"z":1,"webhooks":{"url":{"disable_loopback":false}}}`},
		{"remove url field keeps unknown", `{"graphs":{"a":"x"},"webhooks":{"url":{"x":1,"require_https":true}}}`, func(f *File) { f.Webhooks.URL.RequireHTTPS = nil },
			`{"graphs":{"a":"x"},"webhooks":{"url":{"x":1}}}`},
		{"empty url object", `{"graphs":{"a":"x"}}`, func(f *File) { f.Webhooks.URL = &URLOptions{} },
			`{"graphs":{"a":"x"},"webhooks":{"url":{}}}`},
		{"graphs synthesized", ``, func(f *File) { f.Graphs = []string{"b", "a"} },
			`{"graphs":{"b":"hooklab:echo","a":"hooklab:echo"}}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := &File{}
			if tt.in != "" {
				f = mustParse(t, tt.in)
			}
			tt.edit(f)
			out, err := f.Marshal()
			if err != nil {
				t.Fatal(err)
			}
			if got := compact(t, out); got != tt.want {
				t.Errorf("got  %s\nwant %s", got, tt.want)
			}
		})
	}
}

func TestSaveEmbeddedWritesLocalFile(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	f := Default()
	if err := f.Save(""); err != nil {
		t.Fatal(err)
	}
	if f.Path != "langgraph.json" || f.Embedded {
		t.Errorf("after save Path=%q Embedded=%v", f.Path, f.Embedded)
	}
	back, err := Load(filepath.Join(dir, "langgraph.json"))
	if err != nil {
		t.Fatal(err)
	}
	if back.Embedded || !reflect.DeepEqual(back.Webhooks, Default().Webhooks) || !slices.Equal(back.Graphs, []string{"agent"}) {
		t.Errorf("reloaded = %+v", back)
	}
}

func TestSaveKeepsModeAndRefusesInvalid(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "langgraph.json")
	writeFile(t, path, `{"graphs":{"a":"x"}}`)
	if err := os.Chmod(path, 0o600); err != nil {
		t.Fatal(err)
	}
	f, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	f.Webhooks.AllowedFields = []string{"nope"}
	if err := f.Save(""); err == nil || !strings.Contains(err.Error(), "invalid field 'nope'") {
		t.Fatalf("Save of an invalid file: %v", err)
	}
	f.Webhooks.AllowedFields = []string{"status"}
	if err := f.Save(""); err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(path)
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("mode = %v, %v", st.Mode(), err)
	}
}

func TestCloneIsDeep(t *testing.T) {
	f, err := Load("testdata/rich.json")
	if err != nil {
		t.Fatal(err)
	}
	before, _ := f.Marshal()
	c := f.Clone()
	c.Webhooks.Headers[0].Name = "Changed"
	*c.Webhooks.EnvPrefix = "X_"
	c.Webhooks.URL.AllowedPorts[0] = 1
	*c.Webhooks.URL.RequireHTTPS = false
	*c.Webhooks.URL.MaxURLLength = 1
	c.Webhooks.URL.AllowedDomains[0] = "changed"
	c.Graphs[0] = "changed"
	c.Env["LG_WEBHOOK_TOKEN"] = "changed"
	c.raw.vals["store"][0] = 'X'
	c.raw.keys[0] = "changed"
	after, _ := f.Marshal()
	if !bytes.Equal(before, after) || f.Graphs[0] != "zeta" || f.Env["LG_WEBHOOK_TOKEN"] != "from-dotenv-token" {
		t.Fatal("Clone shares state with the original")
	}
	var nilFile *File
	if nilFile.Clone() != nil {
		t.Fatal("nil Clone")
	}
}
