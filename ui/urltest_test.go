package ui

import (
	"fmt"
	"strings"
	"testing"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"
	"github.com/charmbracelet/x/exp/golden"

	"hooklab/config"
)

// TestFlowURLTester: the decision follows the typed URL.
func TestFlowURLTester(t *testing.T) {
	b := newTestBackend(t)
	tm := startTUI(t, b)
	tm.Send(tea.KeyPressMsg{Code: 'u', Text: "u"})
	tm.Type("http://169.254.169.254/x")
	waitScreen(t, tm, "refused", "Webhook host blocked", "no setting allows them")
	m := finalModel(t, tm)
	if m.Dialog() != "urltest" {
		t.Fatalf("dialog %q", m.Dialog())
	}
}

// TestFlowURLTesterOffline: with the toggle on, a host name is not
// resolved, and the tester says the address check did not run.
func TestFlowURLTesterOffline(t *testing.T) {
	b := newTestBackend(t)
	tm := startTUI(t, b)
	tm.Send(press("u"))
	tm.Send(tea.KeyPressMsg{Code: 'o', Mod: tea.ModCtrl})
	tm.Type("https://hooks.test/a")
	waitScreen(t, tm, "allowed (offline: the address check was not run)")
	m := finalModel(t, tm)
	if u, ok := m.dialog.(*urlTester); !ok || !u.offline || !strings.Contains(ansi.Strip(u.view(90, 30)), "offline: host names not resolved") {
		t.Fatalf("dialog %q is not the tester, offline", m.Dialog())
	}
	if n := b.dns.lookups("hooks.test"); n != 0 {
		t.Fatalf("offline, hooks.test was resolved %d times", n)
	}
}

// strictConfig puts a policy in force that refuses a plain-http URL to a
// loopback host on a domain not allowed for three reasons at once.
func strictConfig(t *testing.T, b *testBackend) {
	t.Helper()
	f, err := config.Parse("langgraph.json", []byte(`{"graphs": {"agent": "hooklab:echo"}, "webhooks": {"url": {
		"require_https": true, "allowed_domains": ["*.example.com"], "disable_loopback": true}}}`))
	if err != nil {
		t.Fatal(err)
	}
	rt, err := config.Resolve(f, b.env)
	if err != nil {
		t.Fatal(err)
	}
	b.rt.Store(rt)
}

// testerAt opens the URL tester on a strict policy, types raw and lets
// every test it starts (the debounced one too) answer.
func testerAt(t *testing.T, w, h int, raw string, keys ...tea.Msg) (*Model, *urlTester) {
	t.Helper()
	b := newTestBackend(t)
	strictConfig(t, b)
	m := New(b, WithNow(fixedClock))
	m.Update(tea.WindowSizeMsg{Width: w, Height: h})
	m.Update(darkBG)
	m.Update(eventsMsg{events: fixtureEvents()})
	m.Update(press("u"))
	u := m.dialog.(*urlTester)
	for _, k := range keys {
		_, cmd := m.Update(k)
		settle(t, m, cmd)
	}
	var cmds []tea.Cmd
	for _, k := range typeText(raw) {
		_, cmd := m.Update(k)
		cmds = append(cmds, cmd)
	}
	settle(t, m, tea.Batch(cmds...))
	return m, u
}

// TestURLTesterShowsEveryFailure: each failing check is listed, the
// platform's marked; the loopback check, which only judges relative URLs,
// does not read as passing a loopback host the address check refused,
// and that refusal names disable_loopback.
func TestURLTesterShowsEveryFailure(t *testing.T) {
	for _, sz := range sizes {
		t.Run(fmt.Sprintf("%dx%d", sz.w, sz.h), func(t *testing.T) {
			m, u := testerAt(t, sz.w, sz.h, "http://loop.test:8080/hook")
			if u.dec == nil || u.dec.Allowed || len(u.dec.Failed) != 3 || u.busy {
				t.Fatalf("decision %+v busy %v", u.dec, u.busy)
			}
			content := checkFrame(t, m, "every failure")
			golden.RequireEqual(t, ansi.Strip(content))
		})
	}
	m, u := testerAt(t, 80, 24, "http://loop.test:8080/hook")
	for range 8 {
		m.Update(keyOf("down")) // the checks below the failures scroll into view
	}
	if out := ansi.Strip(checkFrame(t, m, "scrolled")); !strings.Contains(out, "✗ https    require_https=true     ◀ reported") ||
		!strings.Contains(out, "> http://loop.test:8080/hook█") {
		t.Fatalf("scrolled:\n%s", out)
	}
	text := strings.Join(strings.Fields(ansi.Strip(strings.Join(decisionLines(m.st, u.dec, true, 400), "\n"))), " ")
	for _, want := range []string{
		"✗ https require_https=true ◀ reported",
		"✗ https (the one the platform reports): Webhook must use https because webhooks.url.require_https is true (explicit)",
		"✗ domain (fails too): Webhook domain not allowed because webhooks.url.allowed_domains is [*.example.com] (explicit)",
		"✗ address (fails too): Webhook host blocked: loopback address 127.0.0.1 because webhooks.url.disable_loopback is true (explicit)",
		"· loopback disable_loopback=true", "✗ address disable_loopback=true",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("no %q in\n%s", want, text)
		}
	}
	if strings.Count(text, "◀ reported") != 1 {
		t.Errorf("not exactly one check marked reported:\n%s", text)
	}
}

// TestURLTesterResolvesOncePerTest: typing tests every prefix offline
// and resolves only the URL that stayed (the debounce), once; typing it
// again in the same session resolves nothing; a new session (the tester
// opened again) resolves afresh.
func TestURLTesterResolvesOncePerTest(t *testing.T) {
	m, u := testerAt(t, 120, 40, "https://a.example.com/a")
	b := m.b.(*testBackend)
	if u.dec == nil || u.dec.Allowed || u.dec.Message != "Failed to resolve webhook host" || u.dec.AddressNotRun || !u.full {
		t.Fatalf("decision %+v", u.dec)
	}
	for _, prefix := range []string{"a", "a.ex", "a.example.co"} {
		if n := b.dns.lookups(prefix); n != 0 {
			t.Errorf("%q resolved %d times while typing", prefix, n)
		}
	}
	if n := b.dns.lookups("a.example.com"); n != 1 {
		t.Fatalf("a.example.com resolved %d times, want 1", n)
	}
	_, cmd := m.Update(press("backspace"))
	settle(t, m, cmd)
	_, cmd = m.Update(press("a"))
	settle(t, m, cmd)
	if n := b.dns.lookups("a.example.com"); n != 1 || u.busy || u.dec.AddressNotRun {
		t.Fatalf("typed again: resolved %d times (busy %v)", n, u.busy)
	}
	m.Update(press("esc"))
	m.Update(press("u"))
	var cmds []tea.Cmd
	for _, k := range typeText("https://a.example.com/b") {
		_, c := m.Update(k)
		cmds = append(cmds, c)
	}
	settle(t, m, tea.Batch(cmds...))
	if n := b.dns.lookups("a.example.com"); n != 2 {
		t.Fatalf("a new session resolved a.example.com %d times in all, want 2", n)
	}
}

// TestURLTesterNeedsNoResolveForIPs: an IP literal is judged whole
// offline, so no online test follows.
func TestURLTesterNeedsNoResolveForIPs(t *testing.T) {
	m, u := testerAt(t, 80, 24, "https://203.0.113.9/hook")
	if u.dec == nil || u.full || u.busy || u.dec.AddressNotRun {
		t.Fatalf("decision %+v full %v busy %v", u.dec, u.full, u.busy)
	}
	if out := ansi.Strip(checkFrame(t, m, "ip")); !strings.Contains(out, "Webhook domain not allowed") {
		t.Fatalf("screen:\n%s", out)
	}
}

// TestURLTesterOffline: the toggle skips resolving and says so; turning
// it off resolves the same URL.
func TestURLTesterOffline(t *testing.T) {
	offline := tea.KeyPressMsg{Code: 'o', Mod: tea.ModCtrl}
	for _, sz := range sizes {
		t.Run(fmt.Sprintf("%dx%d", sz.w, sz.h), func(t *testing.T) {
			m, u := testerAt(t, sz.w, sz.h, "https://a.example.com/hook", offline)
			if !u.offline || u.dec == nil || !u.dec.AddressNotRun || u.busy {
				t.Fatalf("offline decision %+v busy %v", u.dec, u.busy)
			}
			content := checkFrame(t, m, "offline")
			golden.RequireEqual(t, ansi.Strip(content))
			if n := m.b.(*testBackend).dns.lookups("a.example.com"); n != 0 {
				t.Fatalf("offline resolved %d times", n)
			}
		})
	}
	m, u := testerAt(t, 80, 24, "https://a.example.com/hook", offline)
	out := strings.Join(strings.Fields(ansi.Strip(checkFrame(t, m, "offline"))), " ")
	for _, want := range []string{"offline: host names not resolved", "✓ allowed (offline: the address check was not run)", "· address", "not run: offline"} {
		if !strings.Contains(out, want) {
			t.Fatalf("no %q in\n%s", want, out)
		}
	}
	_, cmd := m.Update(offline)
	settle(t, m, cmd)
	if u.offline || u.dec.Allowed || !u.full {
		t.Fatalf("back online: %+v", u.dec) // a.example.com does not resolve in the test table
	}
	if n := m.b.(*testBackend).dns.lookups("a.example.com"); n != 1 {
		t.Fatalf("online resolved %d times, want 1", n)
	}
}

// TestURLTesterLongAndEmpty: a 10 KB URL is refused by the length rule
// and the dialog keeps its frame; emptying the field clears the verdict.
func TestURLTesterLongAndEmpty(t *testing.T) {
	m := screen(t, 80, 24, true, press("u"))
	long := "https://example.com/" + strings.Repeat("a", 10<<10)
	_, cmd := m.Update(tea.PasteMsg{Content: long})
	u := m.dialog.(*urlTester)
	m.Update(urlCheckedMsg{seq: u.seq, offline: true, d: u.session.Test(m.ctx, long, true)})
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
