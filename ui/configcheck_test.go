package ui

import (
	"strings"
	"testing"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"
)

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
