package ui

import (
	"testing"

	tea "charm.land/bubbletea/v2"
)

// TestFlowCronFire fires a cron from the list.
func TestFlowCronFire(t *testing.T) {
	b := newTestBackend(t)
	b.crons = []Cron{{ID: "cron-0001-aaaa", AssistantID: "agent", Schedule: "*/5 * * * *", Enabled: true}}
	tm := startTUI(t, b)
	tm.Send(tea.KeyPressMsg{Code: 'o', Text: "o"})
	waitScreen(t, tm, "*/5 * * * *")
	tm.Send(tea.KeyPressMsg{Code: tea.KeyEnter})
	waitScreen(t, tm, "fired")
	finalModel(t, tm)
	b.mu.Lock()
	defer b.mu.Unlock()
	if len(b.fired) != 1 || b.fired[0] != "cron-0001-aaaa" {
		t.Fatalf("fired %v", b.fired)
	}
}
