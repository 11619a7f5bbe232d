package ui

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"
	"github.com/charmbracelet/x/exp/golden"

	"hooklab/config"
	"hooklab/server/hub"
)

// The config editor and the header over a langgraph.json on disk: saves
// that would lose the file, saves that loosen its policy, a file that no
// longer loads, and drafts abandoned with esc.

// fileBackend is the test backend running the langgraph.json it writes
// with text, in a directory of its own that the test runs in (so the
// screens name it the same way every run).
func fileBackend(t *testing.T, text string) (*testBackend, string) {
	t.Helper()
	b := newTestBackend(t)
	t.Chdir(t.TempDir())
	path := "langgraph.json"
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	f, err := config.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	rt, err := config.Resolve(f, b.env)
	if err != nil {
		t.Fatal(err)
	}
	b.rt.Store(rt)
	return b, path
}

// fileModel is a w x h dashboard over b, fed the store's events by
// catchUp, as the subscription would.
func fileModel(t *testing.T, b *testBackend, w, h int) *Model {
	t.Helper()
	m := New(b, WithNow(fixedClock))
	m.Update(tea.WindowSizeMsg{Width: w, Height: h})
	m.Update(darkBG)
	return m
}

// editorRow opens the editor and selects the row of key.
func editorRow(t *testing.T, m *Model, key string) *configEditor {
	t.Helper()
	if m.dialog == nil {
		m.Update(press("c"))
	}
	e := m.dialog.(*configEditor)
	for i, r := range e.rows() {
		if r.key == key {
			e.sel = i
			return e
		}
	}
	t.Fatalf("no row %s", key)
	return nil
}

// pkgDir is the package's directory, where the goldens are.
var pkgDir, _ = os.Getwd()

// requireGolden is golden.RequireEqual from the package's directory, for
// tests that run in a directory of their own.
func requireGolden(t *testing.T, content string) {
	t.Helper()
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Chdir(pkgDir); err != nil {
		t.Fatal(err)
	}
	defer os.Chdir(wd)
	golden.RequireEqual(t, content)
}

func flat(s string) string { return strings.Join(strings.Fields(ansi.Strip(s)), " ") }

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

const strictFile = `{"graphs": {"agent": "hooklab:echo"}, "webhooks": {"url": {"require_https": true, "disable_loopback": true, "allowed_domains": ["a.example.com"]}}}`

// TestConfigLooserSaveAsks: saving a policy looser than the file's names
// each loosening, with its setting and both values, and asks; n keeps the
// edits and writes nothing, y saves.
func TestConfigLooserSaveAsks(t *testing.T) {
	for _, sz := range sizes {
		t.Run(fmt.Sprintf("%dx%d", sz.w, sz.h), func(t *testing.T) {
			b, _ := fileBackend(t, strictFile)
			m := fileModel(t, b, sz.w, sz.h)
			loosen(t, m)
			requireGolden(t, ansi.Strip(checkFrame(t, m, "question")))
		})
	}
	b, path := fileBackend(t, strictFile)
	m := fileModel(t, b, 120, 40)
	e := loosen(t, m)
	out := flat(e.view(300, 40))
	for _, want := range []string{"Save a looser policy?",
		"webhooks.url.require_https: true → false: plain http:// URLs are allowed",
		"webhooks.url.allowed_domains: a.example.com → a.example.com,b.example.com: domain added: b.example.com",
		"y save anyway · n/esc keep editing"} {
		if !strings.Contains(out, want) {
			t.Fatalf("no %q:\n%s", want, out)
		}
	}
	m.Update(press("n"))
	if e.loosen != nil || m.Dialog() != "config" || readFile(t, path) != strictFile || e.f.Webhooks.URL.AllowedDomains[1] != "b.example.com" {
		t.Fatalf("n: question %v, file %s", e.loosen, readFile(t, path))
	}
	_, cmd := m.Update(press("w"))
	settle(t, m, cmd)
	_, cmd = m.Update(press("y"))
	settle(t, m, cmd)
	if got := readFile(t, path); !strings.Contains(got, "b.example.com") || !strings.Contains(got, `"require_https": false`) {
		t.Fatalf("y did not save:\n%s", got)
	}
	if !strings.Contains(m.Status(), "saved") || e.loosen != nil {
		t.Fatalf("status %q", m.Status())
	}
}

// loosen turns require_https off and adds a domain, then presses w.
func loosen(t *testing.T, m *Model) *configEditor {
	t.Helper()
	e := editorRow(t, m, "webhooks.url.require_https")
	m.Update(press("space")) // true → false
	editorRow(t, m, "webhooks.url.allowed_domains")
	typeInto(m, "a.example.com,b.example.com")
	_, cmd := m.Update(press("w"))
	settle(t, m, cmd)
	if e.loosen == nil || len(e.loosen.ls) != 2 {
		t.Fatalf("w did not ask: %+v (%s)", e.loosen, flat(m.View().Content))
	}
	return e
}

// TestConfigTighterSaveDoesNotAsk: a save that loosens nothing is written
// at once.
func TestConfigTighterSaveDoesNotAsk(t *testing.T) {
	b, path := fileBackend(t, strictFile)
	m := fileModel(t, b, 80, 24)
	e := editorRow(t, m, "webhooks.url.disable_private_ips")
	m.Update(press("space")) // unset → true
	_, cmd := m.Update(press("w"))
	if _, again := m.Update(press("w")); again == nil || !strings.Contains(m.Status(), "in progress") {
		t.Fatal("a second w while the first is in flight did not say so") // and starts no second save
	}
	settle(t, m, cmd)
	if e.loosen != nil || !strings.Contains(readFile(t, path), `"disable_private_ips": true`) || b.loosenCalls != 1 {
		t.Fatalf("question %v, %d comparisons, file:\n%s", e.loosen, b.loosenCalls, readFile(t, path))
	}
}

// TestFlowConfigLooserSave: the question through the program, y saves.
func TestFlowConfigLooserSave(t *testing.T) {
	b, path := fileBackend(t, strictFile)
	tm := startTUI(t, b)
	tm.Send(press("c"))
	waitScreen(t, tm, "require_https")
	for range 5 { // from http.disable_webhooks past env_prefix, allowed_fields, url, allowed_domains
		tm.Send(press("j"))
	}
	tm.Send(press("space")) // require_https: true → false
	tm.Send(press("w"))
	waitScreen(t, tm, "Save a looser policy?", "plain http:// URLs are allowed")
	tm.Send(press("y"))
	waitScreen(t, tm, "config applied and saved")
	finalModel(t, tm)
	if got := readFile(t, path); !strings.Contains(got, `"require_https": false`) {
		t.Fatalf("not saved:\n%s", got)
	}
}

// TestConfigSaveConflict: a save refused because the file changed on disk
// says why and offers to show the difference (between the file on disk
// and what saving would write) or to reload the file: the backend puts it
// in force and the editor shows it, the edits dropped.
func TestConfigSaveConflict(t *testing.T) {
	b, path := fileBackend(t, `{"graphs": {"agent": "hooklab:echo"}, "webhooks": {"env_prefix": "LG_"}}`)
	m := fileModel(t, b, 120, 40)
	e := editorRow(t, m, "webhooks.env_prefix")
	disk := `{"graphs": {"agent": "hooklab:echo"}, "webhooks": {"env_prefix": "LG_DISK_"}}`
	if err := os.WriteFile(path, []byte(disk), 0o600); err != nil {
		t.Fatal(err)
	}
	typeInto(m, "LG_MINE_")
	_, cmd := m.Update(press("w"))
	settle(t, m, cmd)
	checkFrame(t, m, "refused")
	out := flat(e.view(300, 40))
	for _, want := range []string{"Not saved", "changed on disk since hooklab loaded it", "r reload it (your edits are dropped) · d show the difference · esc keep editing"} {
		if !strings.Contains(out, want) {
			t.Fatalf("no %q:\n%s", want, out)
		}
	}
	m.Update(press("d"))
	out = ansi.Strip(checkFrame(t, m, "difference"))
	if !strings.Contains(out, `"env_prefix": "LG_DISK_"`) || !strings.Contains(out, `"env_prefix": "LG_MINE_"`) {
		t.Fatalf("the difference:\n%s", out)
	}
	m.Update(press("esc")) // back to the question
	_, cmd = m.Update(press("r"))
	settle(t, m, cmd)
	if e.conflict != nil || e.f.Webhooks.EnvPrefix == nil || *e.f.Webhooks.EnvPrefix != "LG_DISK_" || m.Dialog() != "config" {
		t.Fatalf("after reload: conflict %v, env_prefix %v", e.conflict, e.f.Webhooks.EnvPrefix)
	}
	if p := b.Config().File.Webhooks.EnvPrefix; p == nil || *p != "LG_DISK_" || readFile(t, path) != disk {
		t.Fatalf("the reload did not put the file in force: %v", p)
	}
	if e.dirty() {
		t.Fatal("after a reload the editor has edits to lose")
	}
}

// TestConfigSaveConflictBrokenFile: when the file on disk no longer
// parses, the save is refused and the file's bytes stay; the editor says
// so and offers only the difference; esc goes back to the edits, which
// are kept; the header shows the banner.
func TestConfigSaveConflictBrokenFile(t *testing.T) {
	b, path := fileBackend(t, `{"graphs": {"agent": "hooklab:echo"}}`)
	m := fileModel(t, b, 120, 40)
	e := editorRow(t, m, "webhooks.env_prefix")
	broken := `{"graphs": {`
	if err := os.WriteFile(path, []byte(broken), 0o600); err != nil {
		t.Fatal(err)
	}
	typeInto(m, "LG_MINE_")
	_, cmd := m.Update(press("w"))
	settle(t, m, cmd)
	_, cmd = m.Update(press("y")) // the prefix check widens: it asks first
	settle(t, m, cmd)
	checkFrame(t, m, "broken")
	out := flat(e.view(300, 40))
	if !strings.Contains(out, "the file on disk does not parse") || strings.Contains(out, "r reload") {
		t.Fatalf("want the parse failure and no reload:\n%s", out)
	}
	if !strings.Contains(m.Banner(), "langgraph.json does not load") {
		t.Fatalf("no banner: %q", m.Banner())
	}
	m.Update(press("r"))
	m.Update(press("esc"))
	if e.conflict != nil || *e.f.Webhooks.EnvPrefix != "LG_MINE_" || readFile(t, path) != broken {
		t.Fatalf("the edits were not kept (%v) or the file changed", *e.f.Webhooks.EnvPrefix)
	}
}

// TestConfigProblemBanner: a reload that finds langgraph.json broken puts
// a banner in the header, which stays through other events and goes once
// a reload finds the file fixed; the list makes room and takes it back.
func TestConfigProblemBanner(t *testing.T) {
	for _, sz := range sizes {
		t.Run(fmt.Sprintf("%dx%d", sz.w, sz.h), func(t *testing.T) {
			b, path := fileBackend(t, `{"graphs": {"agent": "hooklab:echo"}}`)
			m := fileModel(t, b, sz.w, sz.h)
			m.Update(eventsMsg{events: fixtureEvents()})
			before := ansi.Strip(m.View().Content)
			if err := os.WriteFile(path, []byte(`{"graphs": {"agent": "hooklab:echo"},`), 0o600); err != nil {
				t.Fatal(err)
			}
			_, err := b.ReloadConfig(context.Background())
			if err == nil {
				t.Fatal("premise: the broken file reloaded")
			}
			// The config event of the failed reload, as the feed brings it.
			m.Update(eventsMsg{events: []hub.Event{ev(14, hub.KindConfig, hub.ConfigInfo{Action: "reload-failed", Path: path, Error: err.Error()})}})
			content := checkFrame(t, m, "banner")
			requireGolden(t, ansi.Strip(content))
			m.Update(press("k"))
			m.Update(press("j"))
			if !strings.Contains(ansi.Strip(m.View().Content), "langgraph.json does not load") || m.banners != 2 || m.lay.body.y != 4 { // two lines: what it means, then where and what
				t.Fatal("the banner went with other messages")
			}
			if err := os.WriteFile(path, []byte(`{"graphs": {"agent": "hooklab:echo"}}`), 0o600); err != nil {
				t.Fatal(err)
			}
			if _, err := b.ReloadConfig(context.Background()); err != nil {
				t.Fatal(err)
			}
			m.Update(eventsMsg{events: []hub.Event{ev(15, hub.KindConfig, hub.ConfigInfo{Action: "reloaded", Path: path})}})
			after := ansi.Strip(checkFrame(t, m, "fixed"))
			if strings.Contains(after, "does not load") || m.banners != 0 || m.lay.body.y != 2 {
				t.Fatalf("the banner stayed:\n%s", after)
			}
			if strings.Count(after, "\n") != strings.Count(before, "\n") {
				t.Fatal("the frame changed height")
			}
		})
	}
}

// TestFlowConfigBanner: the banner through the program, from the config
// event of a failed reload.
func TestFlowConfigBanner(t *testing.T) {
	b, path := fileBackend(t, `{"graphs": {"agent": "hooklab:echo"}}`)
	tm := startTUI(t, b)
	waitScreen(t, tm, "langgraph.json")
	if err := os.WriteFile(path, []byte(`{"graphs": `), 0o600); err != nil {
		t.Fatal(err)
	}
	_, _ = b.ReloadConfig(context.Background())
	waitScreen(t, tm, "⚠ langgraph.json does not load", "invalid JSON")
	finalModel(t, tm)
}

// TestFlowConfigDraftDoesNotComeBack: edits abandoned with esc (and y to
// the question) are gone the next time the editor opens, which shows the
// config in force.
func TestFlowConfigDraftDoesNotComeBack(t *testing.T) {
	b, _ := fileBackend(t, strictFile)
	tm := startTUI(t, b)
	tm.Send(press("c"))
	waitScreen(t, tm, "allowed_domains")
	tm.Send(press("j"))
	tm.Send(press("enter"))
	tm.Type("DRAFT_")
	tm.Send(press("enter"))
	waitScreen(t, tm, "not applied yet") // the renderer draws only what changed: wait for whole words
	tm.Send(press("esc"))
	waitScreen(t, tm, "Discard the changes not applied?")
	tm.Send(press("y"))
	waitScreen(t, tm, "quit") // the footer of the list again: the editor closed
	tm.Send(press("c"))
	waitScreen(t, tm, "env_prefix")
	m := finalModel(t, tm)
	e, ok := m.dialog.(*configEditor)
	if !ok || e.f.Webhooks.EnvPrefix != nil || e.dirty() {
		t.Fatalf("the reopened editor: %v", m.Dialog())
	}
}
