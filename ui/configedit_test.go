package ui

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"
)

// TestFlowConfigApply toggles http.disable_webhooks and applies it live.
func TestFlowConfigApply(t *testing.T) {
	b := newTestBackend(t)
	tm := startTUI(t, b)
	tm.Send(tea.KeyPressMsg{Code: 'c', Text: "c"})
	tm.Send(tea.KeyPressMsg{Code: tea.KeySpace, Text: " "})
	tm.Send(tea.KeyPressMsg{Code: 'a', Text: "a"})
	waitScreen(t, tm, "config applied live")
	finalModel(t, tm)
	if !b.Config().DisableWebhooks {
		t.Fatal("disable_webhooks not applied")
	}
}

// TestConfigInlineValidation: a header referencing a variable outside the
// env_prefix shows the platform message next to the field, and apply is
// refused locally.
func TestConfigInlineValidation(t *testing.T) {
	t.Setenv("OTHER_SECRET", "s3cr3t-value")
	t.Setenv("LG_WEBHOOK_TOKEN", "tok-123456")
	m := screen(t, 120, 40, true, press("c"), press("n"))
	for _, k := range typeText("${{ env.OTHER_SECRET }}") {
		m.Update(k)
	}
	m.Update(press("enter"))
	out := m.View().Content
	if !strings.Contains(out, "must start with the configured") {
		t.Fatalf("no inline env_prefix error:\n%s", out)
	}
	if strings.Contains(out, "s3cr3t-value") {
		t.Fatal("secret value on screen")
	}
	// Fix it: the preview shows the value masked.
	m.Update(press("enter"))
	for range len("X-Header: ${{ env.OTHER_SECRET }}") {
		m.Update(press("backspace"))
	}
	for _, k := range typeText("Authorization: Bearer ${{ env.LG_WEBHOOK_TOKEN }}") {
		m.Update(k)
	}
	_, cmd := m.Update(press("enter"))
	settle(t, m, cmd) // the backend resolves the template, after the debounce
	out = m.View().Content
	if !strings.Contains(out, "→ Bear…") || strings.Contains(out, "tok-123456") || !strings.Contains(out, "✓ valid") {
		t.Fatalf("want masked preview and valid:\n%s", out)
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

// addHeader adds a header with n, typing it over the "X-Header: " start.
func addHeader(m *Model, text string) {
	m.Update(press("n"))
	typeOver(m, text)
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

// TestConfigRangeErrorsAt80x24: an out-of-range port or a non-positive
// max_url_length shows config's own message once, right under the field,
// and apply is refused.
func TestConfigRangeErrorsAt80x24(t *testing.T) {
	for _, c := range []struct{ key, text, want string }{
		{"webhooks.url.allowed_ports", "443, 70000", "must be an integer port 1-65535, got 70000"},
		{"webhooks.url.max_url_length", "-5", "must be a positive integer, got -5"},
		{"webhooks.url.max_url_length", "0", "must be a positive integer, got 0"},
	} {
		t.Run(c.key+"="+c.text, func(t *testing.T) {
			m, e := configAt(t, c.key)
			m.Update(tea.WindowSizeMsg{Width: 80, Height: 24})
			typeInto(m, c.text)
			lines := strings.Split(ansi.Strip(checkFrame(t, m, "range")), "\n")
			label := strings.TrimPrefix(c.key, "webhooks.")
			for i, l := range lines {
				if strings.Contains(l, label+" ") {
					if i+1 >= len(lines) || !strings.Contains(lines[i+1], "✗ "+c.want) {
						t.Fatalf("no %q under the field:\n%s", c.want, strings.Join(lines, "\n"))
					}
				}
			}
			if n := strings.Count(strings.Join(lines, "\n"), "  ✗ "+c.want); n != 1 {
				t.Errorf("the inline message shows %d times", n)
			}
			m.Update(press("a"))
			if e.busy || !strings.Contains(m.Status(), "fix the config errors first") {
				t.Fatalf("applied (status %q)", m.Status())
			}
		})
	}
}

// TestConfigDuplicateHeader: two header names that differ only in case
// were accepted and collapsed to the last one on save. The editor names
// the duplicate next to it and refuses apply and save until it is fixed.
func TestConfigDuplicateHeader(t *testing.T) {
	m := screen(t, 80, 24, true, press("c"))
	e := m.dialog.(*configEditor)
	addHeader(m, "X-Token: one")
	addHeader(m, "x-token: two")
	out := strings.Join(strings.Fields(ansi.Strip(checkFrame(t, m, "duplicate"))), " ")
	if !strings.Contains(out, `duplicate header "x-token": "X-Token" is already set`) {
		t.Fatalf("no duplicate message:\n%s", out)
	}
	for _, k := range []string{"a", "w"} {
		if _, cmd := m.Update(press(k)); e.busy || cmd == nil || !strings.Contains(m.Status(), "fix the config errors first") {
			t.Fatalf("%s with a duplicate header: busy %v status %q", k, e.busy, m.Status())
		}
	}
	// x on the duplicate (the selected row: it was just added) fixes it.
	m.Update(press("x"))
	if e.err != nil || len(e.f.Webhooks.Headers) != 1 {
		t.Fatalf("after removing the duplicate: %v, %d headers", e.err, len(e.f.Webhooks.Headers))
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

// TestConfigDialogListsEveryKey: the one-line status bar cut "w
// apply+save" and "esc close" at 80 columns; the dialog lists every key.
func TestConfigDialogListsEveryKey(t *testing.T) {
	for _, sz := range sizes {
		t.Run(fmt.Sprintf("%dx%d", sz.w, sz.h), func(t *testing.T) {
			m := screen(t, sz.w, sz.h, true, press("c"))
			out := strings.Join(strings.Fields(ansi.Strip(checkFrame(t, m, "config"))), " ")
			for _, b := range m.dialog.(*configEditor).keys(&m.keys) {
				if want := b.Help().Key + " " + b.Help().Desc; !strings.Contains(out, want) {
					t.Errorf("%q not on screen:\n%s", want, out)
				}
			}
		})
	}
}

// TestConfigEscAsksBeforeDiscarding: esc cancels a field edit and then
// closed the editor, so two presses threw away every edit. With edits not
// applied it now asks; n keeps editing, y discards. Once applied, esc
// just closes.
func TestConfigEscAsksBeforeDiscarding(t *testing.T) {
	m := screen(t, 80, 24, true, press("c"), press("j"))
	e := m.dialog.(*configEditor)
	typeInto(m, "MY_")       // env_prefix, committed
	m.Update(press("enter")) // edit it again…
	m.Update(press("esc"))   // …cancel the field edit
	m.Update(press("esc"))   // and the dialog: it asks
	if m.Dialog() != "config" || !e.confirm {
		t.Fatal("esc closed the editor with edits not applied")
	}
	if out := ansi.Strip(checkFrame(t, m, "confirm")); !strings.Contains(out, "Discard the changes not applied? y discard · n/esc keep editing") {
		t.Fatalf("no question on screen:\n%s", out)
	}
	m.Update(press("n"))
	if m.Dialog() != "config" || e.confirm || e.f.Webhooks.EnvPrefix == nil || *e.f.Webhooks.EnvPrefix != "MY_" {
		t.Fatal("n did not keep the edits")
	}
	m.Update(press("esc"))
	m.Update(press("y"))
	if m.Dialog() != "" || m.b.Config().File.Webhooks.EnvPrefix != nil {
		t.Fatalf("y: dialog %q", m.Dialog())
	}
	// Applied edits are not lost by closing: no question.
	m.Update(press("c"))
	m.Update(press("j"))
	typeInto(m, "MY_")
	_, cmd := m.Update(press("a"))
	for _, msg := range runAll(t, cmd) {
		m.Update(msg)
	}
	m.Update(press("esc"))
	if m.Dialog() != "" {
		t.Fatalf("esc after apply: dialog %q", m.Dialog())
	}
}

// TestConfigSecretsComeFromTheBackend: header templates are resolved in
// the environment of the hooklab being watched, not this process's. The
// backend knows LG_WEBHOOK_TOKEN with another value than this process,
// and not LG_WEBHOOK_LOCAL_ONLY, which this process has: the previews show
// the backend's masked value and its refusal, each under its own header.
func TestConfigSecretsComeFromTheBackend(t *testing.T) {
	t.Setenv("LG_WEBHOOK_TOKEN", "local-value-xyz")
	t.Setenv("LG_WEBHOOK_LOCAL_ONLY", "here-only")
	b := newTestBackend(t)
	b.env = func(k string) (string, bool) {
		if k == "LG_WEBHOOK_TOKEN" {
			return "remote-value-abc", true
		}
		return "", false
	}
	m := New(b, WithNow(fixedClock))
	m.Update(tea.WindowSizeMsg{Width: 120, Height: 40})
	m.Update(press("c"))
	add := func(text string) {
		m.Update(press("n"))
		m.Update(keyOf("ctrl+u"))
		for _, k := range typeText(text) {
			m.Update(k)
		}
		_, cmd := m.Update(press("enter"))
		settle(t, m, cmd)
	}
	add("X-Token: ${{ env.LG_WEBHOOK_TOKEN }}")
	out := ansi.Strip(checkFrame(t, m, "token"))
	if !strings.Contains(out, "→ remo…") || !strings.Contains(out, "✓ valid") {
		t.Fatalf("want the backend's masked value:\n%s", out)
	}
	add("X-Other: ${{ env.LG_WEBHOOK_LOCAL_ONLY }}")
	out = strings.Join(strings.Fields(ansi.Strip(checkFrame(t, m, "refused"))), " ")
	for _, want := range []string{"→ remo…", "✗ webhook headers: missing required environment variable 'LG_WEBHOOK_LOCAL_ONLY'"} {
		if !strings.Contains(out, want) {
			t.Fatalf("want %q on screen:\n%s", want, out)
		}
	}
	for _, secret := range []string{"local-value", "remote-value", "here-only"} {
		if strings.Contains(out, secret) {
			t.Fatalf("%q on screen", secret)
		}
	}
	m.Update(press("a"))
	if e := m.dialog.(*configEditor); e.busy || !strings.Contains(m.Status(), "fix the config errors first: webhook headers: missing") {
		t.Fatalf("applied a config the backend cannot resolve (status %q)", m.Status())
	}
	if b.resolves == 0 {
		t.Fatal("the backend was never asked")
	}
}

// TestConfigResolveIsDebounced: a header without a template needs no
// call; edits in quick succession ask the backend once, for the last of
// them; a later edit asks again.
func TestConfigResolveIsDebounced(t *testing.T) {
	t.Setenv("LG_WEBHOOK_A", "value-a")
	b := newTestBackend(t)
	m := New(b, WithNow(fixedClock))
	m.Update(tea.WindowSizeMsg{Width: 120, Height: 40})
	m.Update(press("c"))
	m.Update(press("n"))
	m.Update(keyOf("ctrl+u"))
	for _, k := range typeText("X-Plain: yes") {
		m.Update(k)
	}
	_, cmd := m.Update(press("enter"))
	settle(t, m, cmd)
	if out := ansi.Strip(m.View().Content); b.resolves != 0 || !strings.Contains(out, "→ yes") {
		t.Fatalf("%d calls for a header without a template:\n%s", b.resolves, out)
	}
	var cmds []tea.Cmd
	for _, h := range []string{"X-A: ${{ env.LG_WEBHOOK_A }}", "X-B: ${{ env.LG_WEBHOOK_A }}-2"} {
		m.Update(press("n"))
		m.Update(keyOf("ctrl+u"))
		for _, k := range typeText(h) {
			m.Update(k)
		}
		_, cmd := m.Update(press("enter"))
		cmds = append(cmds, cmd)
	}
	if out := ansi.Strip(m.View().Content); !strings.Contains(out, "resolving…") {
		t.Fatalf("no sign of the pending check:\n%s", out)
	}
	settle(t, m, tea.Batch(cmds...))
	if b.resolves != 1 {
		t.Fatalf("%d ResolveConfig calls for two quick edits, want 1", b.resolves)
	}
	if out := ansi.Strip(m.View().Content); strings.Count(out, "→ valu…") != 2 || strings.Contains(out, "resolving") {
		t.Fatalf("want both previews:\n%s", out)
	}
	_, cmd = m.Update(press("n"))
	for _, k := range typeText("more") {
		m.Update(k)
	}
	_, cmd2 := m.Update(press("enter"))
	settle(t, m, tea.Batch(cmd, cmd2))
	if b.resolves != 2 {
		t.Fatalf("%d calls after adding a header, want 2", b.resolves)
	}
}
