package config

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// loadedFile writes s to dir/langgraph.json and loads it.
func loadedFile(t *testing.T, s string) (string, *File) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "langgraph.json")
	writeFile(t, path, s)
	f, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	return path, f
}

// mustConflict saves f, wants a *ConflictError with reason, and checks
// that the file's bytes did not change.
func mustConflict(t *testing.T, f *File, path, reason string) *ConflictError {
	t.Helper()
	before, _ := os.ReadFile(path)
	err := f.Save("")
	var ce *ConflictError
	if !errors.As(err, &ce) || ce.Reason != reason {
		t.Fatalf("Save: %v, want a %s conflict", err, reason)
	}
	if after, _ := os.ReadFile(path); string(after) != string(before) {
		t.Fatalf("a refused save changed the file:\n%s\nwas\n%s", after, before)
	}
	var cfg *Error
	if !errors.As(err, &cfg) || cfg.File != path || cfg.Fix == "" || strings.Contains(err.Error(), "\n") {
		t.Fatalf("the refusal is not a one-line *Error naming the file and the fix: %#v", cfg)
	}
	if ce.OnDisk != string(before) || ce.Proposed == "" || ce.Diff == "" {
		t.Fatalf("conflict lacks the file, the proposal or the diff: %+v", ce)
	}
	return ce
}

func TestSaveRefusesAFileThatNoLongerParses(t *testing.T) {
	path, f := loadedFile(t, `{"graphs": {"a": "x"}, "webhooks": {"url": {"require_https": false}}}`)
	broken := "{\n  \"graphs\": {\"a\": \"x\"},\n  \"webhooks\": {,}\n}\n"
	writeFile(t, path, broken)
	f.HTTP.DisableWebhooks = true
	ce := mustConflict(t, f, path, ConflictInvalid)
	if ce.Problem == nil || ce.Problem.Line != 3 || ce.Problem.Column == 0 || !strings.Contains(ce.Error(), "no longer loads") {
		t.Fatalf("problem = %+v, error %q", ce.Problem, ce.Error())
	}
	if !strings.Contains(ce.Diff, "-  \"webhooks\": {,}") || !strings.Contains(ce.Diff, `"disable_webhooks": true`) {
		t.Fatalf("diff does not show the broken line going away and the edit coming in:\n%s", ce.Diff)
	}
	if !strings.Contains(ce.Loaded, "require_https") {
		t.Fatalf("Loaded = %q", ce.Loaded)
	}
	// Fixed on disk by hand, then reloaded: the save goes through.
	writeFile(t, path, `{"graphs": {"a": "x"}, "dependencies": ["."]}`)
	f2, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	f2.HTTP.DisableWebhooks = true
	if err := f2.Save(""); err != nil {
		t.Fatal(err)
	}
	if data, _ := os.ReadFile(path); !strings.Contains(string(data), `"dependencies"`) || !strings.Contains(string(data), "disable_webhooks") {
		t.Fatalf("saved %s", data)
	}
}

func TestSaveRefusesAFileChangedOnDisk(t *testing.T) {
	path, f := loadedFile(t, `{"graphs": {"a": "x"}}`)
	draft := f.Clone() // a dashboard's editor works on a clone
	draft.Webhooks.URL = &URLOptions{RequireHTTPS: ptr(false)}
	writeFile(t, path, `{"graphs": {"a": "x"}, "dependencies": ["./new"]}`)
	ce := mustConflict(t, draft, path, ConflictChanged)
	if ce.Problem != nil || !strings.Contains(ce.Error(), "changed on disk since hooklab loaded it") {
		t.Fatalf("conflict = %v", ce)
	}
	if !strings.Contains(ce.Diff, `-{"graphs": {"a": "x"}, "dependencies": ["./new"]}`) || !strings.Contains(ce.Diff, `+      "require_https": false`) {
		t.Fatalf("the diff does not show what the save would drop:\n%s", ce.Diff)
	}
}

func TestSaveAllowsWhatLosesNothing(t *testing.T) {
	path, f := loadedFile(t, `{"graphs": {"a": "x"}}`)
	f.HTTP.DisableWebhooks = true
	if err := f.Save(""); err != nil {
		t.Fatal(err)
	}
	// Saved once, saved again: the base moved with the save.
	f.HTTP.DisableWebhooks = false
	if err := f.Save(""); err != nil {
		t.Fatalf("second save: %v", err)
	}
	// The file already says what the save would write.
	c := f.Clone()
	c.HTTP.DisableWebhooks = true
	want, _ := c.Marshal()
	os.WriteFile(path, want, 0o644)
	if err := c.Save(""); err != nil {
		t.Fatalf("saving what is on disk already: %v", err)
	}
	// The file is gone: nothing to lose.
	os.Remove(path)
	if err := f.Save(""); err != nil {
		t.Fatalf("saving over a removed file: %v", err)
	}
}

func TestSaveEmbeddedDefaultKeepsAFileThatAppeared(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	f := Default()
	writeFile(t, "langgraph.json", `{"graphs": {"mine": "./g.py:g"}}`)
	ce := mustConflict(t, f, "langgraph.json", ConflictChanged)
	if ce.Loaded != "" || !strings.Contains(ce.Error(), "is not the one hooklab loaded") {
		t.Fatalf("conflict = %+v", ce)
	}
}

func TestLoadedAndCloneKeepTheBase(t *testing.T) {
	data := "\xef\xbb\xbf{\"graphs\": {\"a\": \"x\"}}"
	path, f := loadedFile(t, data)
	if string(f.Loaded()) != data || string(f.Clone().Loaded()) != data {
		t.Fatalf("Loaded = %q", f.Loaded())
	}
	if Default().Loaded() != nil {
		t.Fatal("the embedded default claims a file")
	}
	c := f.Clone()
	c.HTTP.DisableWebhooks = true
	if err := c.Save(path); err != nil {
		t.Fatalf("a BOM file, unchanged on disk: %v", err)
	}
}

func TestNewProblem(t *testing.T) {
	_, err := Parse("/x/langgraph.json", []byte("{\n  \"graphs\": ,\n}"))
	since := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	p := NewProblem("/x/langgraph.json", err, since)
	if p.Path != "/x/langgraph.json" || p.Line != 2 || p.Column != 13 || p.Message != err.Error() || !p.Since.Equal(since) {
		t.Fatalf("problem = %+v (err %v)", p, err)
	}
	_, err = Parse("/x/langgraph.json", []byte(`{"graphs": {"a": "x"}, "webhooks": {"url": {"max_url_length": 0}}}`))
	if p := NewProblem("/x/langgraph.json", err, since); p.Key != "webhooks.url.max_url_length" || p.Line != 0 {
		t.Fatalf("problem = %+v", p)
	}
}
