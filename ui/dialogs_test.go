package ui

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"hooklab/sender"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"
)

func storeDelivery(id, body string) sender.Delivery {
	return sender.Delivery{ID: id, URL: "http://127.0.0.1:9/hook", Outcome: sender.OutcomeDelivered, Body: json.RawMessage(body)}
}

// key builds a key press by its help name.
func keyOf(s string) tea.KeyPressMsg {
	switch s {
	case "pgup":
		return tea.KeyPressMsg{Code: tea.KeyPgUp}
	case "pgdown":
		return tea.KeyPressMsg{Code: tea.KeyPgDown}
	case "home":
		return tea.KeyPressMsg{Code: tea.KeyHome}
	case "end":
		return tea.KeyPressMsg{Code: tea.KeyEnd}
	case "up":
		return tea.KeyPressMsg{Code: tea.KeyUp}
	case "down":
		return tea.KeyPressMsg{Code: tea.KeyDown}
	case "ctrl+c", "ctrl+u", "ctrl+d":
		return tea.KeyPressMsg{Code: rune(s[5]), Mod: tea.ModCtrl}
	}
	return press(s)
}

// TestEveryKeyInEveryState presses every key the help names, fourteen times
// (past every edge), in every focus and dialog, at three sizes: no panic,
// every frame keeps the invariants, q in a text field types q, and ctrl+c
// quits from anywhere.
func TestEveryKeyInEveryState(t *testing.T) {
	keys := []string{"?", "q", "tab", "c", "u", "o", "k", "j", "pgup", "pgdown", "g", "G", "enter", "/", "f", "F", "r", "e", "t",
		"esc", "space", "a", "w", "n", "x", "s", "backspace", "ctrl+u", "ctrl+d", "home", "end", "up", "down"}
	states := map[string]struct {
		pre   []string
		field bool // a text field has the keyboard: q must type
	}{
		"List": {}, "Detail": {pre: []string{"k", "k", "k", "tab"}}, "Help": {pre: []string{"?"}},
		"Search": {pre: []string{"/"}, field: true}, "Config": {pre: []string{"c"}}, "ConfigField": {pre: []string{"c", "j", "enter"}, field: true},
		"URLTester": {pre: []string{"u"}, field: true}, "ReplayTo": {pre: []string{"k", "k", "k", "k", "k", "t"}, field: true},
		"Crons": {pre: []string{"o"}}, "FilteredEmpty": {pre: []string{"/", "z", "z", "z", "enter"}},
	}
	sizes := [][2]int{{80, 24}, {60, 15}, {110, 24}}
	for name, st := range states {
		t.Run(name, func(t *testing.T) {
			b := newTestBackend(t)
			for _, k := range keys {
				for _, sz := range sizes {
					m := New(b, WithNow(fixedClock))
					m.Update(tea.WindowSizeMsg{Width: sz[0], Height: sz[1]})
					m.Update(eventsMsg{events: fixtureEvents()})
					for _, p := range st.pre {
						m.Update(keyOf(p))
					}
					dlg := m.Dialog()
					for i := range 14 { // 13 feed rows: past both edges
						m.Update(keyOf(k))
						if i%4 == 0 || i == 13 {
							checkFrame(t, m, name+" "+k)
						}
					}
					if k == "q" && st.field {
						if m.ctx.Err() != nil {
							t.Fatalf("q in a text field quit")
						}
						if c := ansi.Strip(m.View().Content); !strings.Contains(c, "qqqq") {
							t.Fatalf("q in a text field did not type:\n%s", c)
						}
					}
					if k == "esc" && dlg != "" && m.Dialog() != "" {
						t.Fatalf("esc left dialog %q open", m.Dialog())
					}
					m.Update(keyOf("ctrl+c"))
					if m.ctx.Err() == nil {
						t.Fatalf("after %q, ctrl+c did not quit", k)
					}
				}
			}
		})
	}
}

// TestPasteGoesToTheField: bracketed paste (on by default in Bubble Tea
// v2) arrives as one tea.PasteMsg, which the dashboard used to drop, so a
// URL could not be pasted into the URL tester, replay-to or a config
// field. A trailing newline is dropped; a paste elsewhere does nothing.
func TestPasteGoesToTheField(t *testing.T) {
	url := "http://169.254.169.254/latest\n"
	cases := map[string]struct {
		pre  []tea.Msg
		want func(m *Model) string
	}{
		"URLTester": {[]tea.Msg{press("u")}, func(m *Model) string { return m.dialog.(*urlTester).in.value }},
		"ReplayTo":  {[]tea.Msg{press("k"), press("k"), press("k"), press("k"), press("k"), press("t")}, func(m *Model) string { return m.dialog.(*replayTo).in.value }},
		"Config":    {[]tea.Msg{press("c"), press("n"), keyOf("ctrl+u")}, func(m *Model) string { return m.dialog.(*configEditor).in.value }},
		"Search":    {[]tea.Msg{press("/")}, func(m *Model) string { return m.list.query }},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			m := screen(t, 80, 24, true, c.pre...)
			_, cmd := m.Update(tea.PasteMsg{Content: url})
			if got := c.want(m); got != strings.TrimSpace(url) {
				t.Fatalf("field holds %q after the paste", got)
			}
			checkFrame(t, m, "after paste")
			if name == "URLTester" {
				if cmd == nil || !m.dialog.(*urlTester).busy {
					t.Fatal("a pasted URL is not checked")
				}
			}
		})
	}
	m := screen(t, 80, 24, true)
	sel := m.Selected()
	m.Update(tea.PasteMsg{Content: "qcuo"})
	if m.ctx.Err() != nil || m.Dialog() != "" || m.Selected() != sel {
		t.Fatal("a paste on the feed acted as keys")
	}
}

// TestURLTesterLongAndEmpty: a 10 KB URL is refused by the length rule
// and the dialog keeps its frame; emptying the field clears the verdict.
func TestURLTesterLongAndEmpty(t *testing.T) {
	m := screen(t, 80, 24, true, press("u"))
	long := "https://example.com/" + strings.Repeat("a", 10<<10)
	_, cmd := m.Update(tea.PasteMsg{Content: long})
	u := m.dialog.(*urlTester)
	m.Update(urlCheckedMsg{seq: u.seq, d: m.b.CheckURL(m.ctx, long)})
	if u.dec == nil || u.dec.Allowed || u.dec.Rule != "length" || cmd == nil {
		t.Fatalf("10 KB URL: decision %+v", u.dec)
	}
	c := checkFrame(t, m, "10 KB URL")
	if !strings.Contains(ansi.Strip(c), "█") {
		t.Fatal("the cursor scrolled out of the field")
	}
	m.Update(keyOf("ctrl+u"))
	if u.dec != nil || u.busy {
		t.Fatal("an empty field keeps a verdict")
	}
	checkFrame(t, m, "empty URL")
}

// TestLineInputWideCharacters: the field shows its end, cursor included,
// measured in cells (CJK and emoji are two).
func TestLineInputWideCharacters(t *testing.T) {
	in := lineInput{value: strings.Repeat("数据😀", 20)}
	v := in.view(true, 21)
	if ansi.StringWidth(v) > 21 || !strings.HasSuffix(v, "█") {
		t.Fatalf("view %q is %d cells", v, ansi.StringWidth(v))
	}
}

// configAt opens the config editor with webhooks.url present and the
// selection on key.
func configAt(t *testing.T, key string) (*Model, *configEditor) {
	t.Helper()
	m := screen(t, 120, 40, true, press("c"))
	e := m.dialog.(*configEditor)
	for i, r := range e.rows() {
		if r.key == "webhooks.url" && e.f.Webhooks.URL == nil {
			e.sel = i
			m.Update(press("space"))
		}
	}
	for i, r := range e.rows() {
		if r.key == key {
			e.sel = i
			return m, e
		}
	}
	t.Fatalf("no row %s", key)
	return nil, nil
}

// typeInto edits the selected field: enter, then typeOver.
func typeInto(m *Model, text string) {
	m.Update(press("enter"))
	typeOver(m, text)
}

// typeOver replaces the text of the field being edited and confirms it.
func typeOver(m *Model, text string) {
	m.Update(keyOf("ctrl+u"))
	for _, k := range typeText(text) {
		m.Update(k)
	}
	m.Update(press("enter"))
}

// TestConfigFieldValidation: every typed field is parsed or refused with a
// message on screen, and values config.Resolve refuses block apply.
func TestConfigFieldValidation(t *testing.T) {
	cases := []struct{ key, text, want string }{
		{"webhooks.url.allowed_ports", "abc", `port "abc" is not a number`},
		{"webhooks.url.allowed_ports", "0", "1-65535"},
		{"webhooks.url.allowed_ports", "70000", "1-65535"},
		{"webhooks.url.allowed_ports", "443, 8443", "✓ valid"},
		{"webhooks.url.allowed_domains", "x.*", "wildcard can only be used as a prefix"},
		{"webhooks.url.allowed_domains", "*.x", "✓ valid"},
		{"webhooks.url.max_url_length", "abc", "is not a number"},
		{"webhooks.env_prefix", `""`, "✓ valid"},
		{"webhooks.env_prefix", "", "✓ valid"},
	}
	for _, c := range cases {
		t.Run(c.key+"="+c.text, func(t *testing.T) {
			m, e := configAt(t, c.key)
			typeInto(m, c.text)
			out := ansi.Strip(checkFrame(t, m, "config"))
			if !strings.Contains(strings.Join(strings.Fields(out), " "), c.want) {
				t.Fatalf("want %q on screen:\n%s", c.want, out)
			}
			switch {
			case c.key == "webhooks.env_prefix" && c.text == "":
				if e.f.Webhooks.EnvPrefix != nil {
					t.Fatal(`empty env_prefix is not "absent"`)
				}
			case c.key == "webhooks.env_prefix":
				if p := e.f.Webhooks.EnvPrefix; p == nil || *p != "" {
					t.Fatal(`"" env_prefix is not the empty prefix`)
				}
			}
			if c.want != "✓ valid" && e.inputEr == "" {
				m.Update(press("a"))
				if e.busy || !strings.Contains(m.Status(), "fix the config errors first") {
					t.Fatalf("an invalid config was applied (status %q)", m.Status())
				}
			}
		})
	}
}

// TestConfigNewHeaderCancelled: n adds a header and opens it for editing;
// esc used to leave an "X-Header" with an empty value in the config.
func TestConfigNewHeaderCancelled(t *testing.T) {
	m := screen(t, 80, 24, true, press("c"))
	e := m.dialog.(*configEditor)
	before := len(e.f.Webhooks.Headers)
	m.Update(press("n"))
	m.Update(press("esc"))
	if n := len(e.f.Webhooks.Headers); n != before {
		t.Fatalf("%d headers after cancelling a new one, want %d", n, before)
	}
	m.Update(press("n"))
	typeInto(m, "X-Kept: v")
	if n := len(e.f.Webhooks.Headers); n != before+1 {
		t.Fatalf("%d headers after adding one, want %d", n, before+1)
	}
	checkFrame(t, m, "config")
}

// TestConfigRefusalAllowsRetry: when the backend refuses (here the file
// cannot be written) the reason shows, and apply can be tried again; it
// used to be treated as a validation error, blocking every retry until
// some field was edited.
func TestConfigRefusalAllowsRetry(t *testing.T) {
	m := screen(t, 80, 24, true, press("c"))
	e := m.dialog.(*configEditor)
	notDir := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(notDir, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	e.f.Path = filepath.Join(notDir, "langgraph.json")
	_, cmd := m.Update(press("w"))
	if cmd == nil || !e.busy {
		t.Fatal("save did not start")
	}
	m.Update(configSavedMsg{save: true, err: m.b.ApplyConfig(m.ctx, e.f.Clone(), true)})
	out := ansi.Strip(checkFrame(t, m, "refused"))
	if !strings.Contains(out, "refused") || !strings.Contains(m.Status(), "config refused") {
		t.Fatalf("refusal not shown:\n%s", out)
	}
	e.f.Path = filepath.Join(t.TempDir(), "langgraph.json")
	if _, cmd := m.Update(press("w")); cmd == nil || !e.busy {
		t.Fatalf("retry after a refusal blocked (status %q)", m.Status())
	}
}

// TestReplayKeepsOpenDialog: a replay finishing while the user types in
// another dialog used to replace it with the diff, losing the input. The
// diff now waits for that dialog to close.
func TestReplayKeepsOpenDialog(t *testing.T) {
	m := screen(t, 80, 24, true, press("c"), press("j"), press("enter"), press("x"))
	m.Update(replayDoneMsg{orig: storeDelivery("dlv-a", `{"a":1}`), d: storeDelivery("dlv-b", `{"a":2}`)})
	if m.Dialog() != "config" || m.dialog.(*configEditor).in.value != "x" {
		t.Fatalf("replay result replaced the config editor (dialog %q)", m.Dialog())
	}
	if !strings.Contains(m.Status(), "diff opens when") {
		t.Fatalf("status %q", m.Status())
	}
	m.Update(press("esc"))
	m.Update(press("esc"))
	if m.Dialog() != "diff" {
		t.Fatalf("dialog %q after closing the editor, want the diff", m.Dialog())
	}
	m.Update(press("esc"))
	if m.Dialog() != "" {
		t.Fatalf("diff reopened as %q", m.Dialog())
	}
}

// TestReplayFromDocBodyEdges: deleting "body" in the editor, or leaving
// the null written for an empty body, is no change to the body.
func TestReplayFromDocBodyEdges(t *testing.T) {
	orig := storeDelivery("dlv-a", ``)
	for name, doc := range map[string]string{
		"NullForEmpty": `{"url": "http://127.0.0.1:9/hook", "headers": {}, "body": null}`,
		"Deleted":      `{"url": "http://127.0.0.1:9/hook", "headers": {}}`,
	} {
		r, err := replayFromDoc(orig, []byte(doc))
		if err != nil || r.Body != nil {
			t.Errorf("%s: body %q err %v, want unchanged", name, r.Body, err)
		}
	}
	if _, err := replayFromDoc(orig, []byte(`{"body": `)); err == nil || !strings.Contains(err.Error(), "not valid JSON") {
		t.Fatalf("invalid document: %v", err)
	}
}
