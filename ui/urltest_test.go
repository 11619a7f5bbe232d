package ui

import (
	"strings"
	"testing"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"
)

// TestFlowURLTester: the decision follows the typed URL.
func TestFlowURLTester(t *testing.T) {
	b := newTestBackend(t)
	tm := startTUI(t, b)
	tm.Send(tea.KeyPressMsg{Code: 'u', Text: "u"})
	tm.Type("http://169.254.169.254/x")
	waitScreen(t, tm, "refused", "Webhook host blocked")
	m := finalModel(t, tm)
	if m.Dialog() != "urltest" {
		t.Fatalf("dialog %q", m.Dialog())
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
