package ui

import (
	"fmt"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"
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

// TestFlowCronPauseResumeDelete: from the cron list, space pauses the
// selected cron and resumes it, x asks and y deletes it; n keeps it. The
// backend sees each change and the list shows it.
func TestFlowCronPauseResumeDelete(t *testing.T) {
	b := newTestBackend(t)
	b.crons = []Cron{
		{ID: "cron-0001-aaaa", AssistantID: "agent", Schedule: "*/5 * * * *", Enabled: true},
		{ID: "cron-0002-bbbb", AssistantID: "agent", Schedule: "0 9 * * 1", Enabled: true},
	}
	state := func(want string) {
		t.Helper()
		for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(10 * time.Millisecond) {
			b.mu.Lock()
			got := fmt.Sprint(b.crons)
			b.mu.Unlock()
			if strings.Contains(got, want) {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("crons %s, want %s", got, want)
			}
		}
	}
	tm := startTUI(t, b)
	tm.Send(press("o"))
	waitScreen(t, tm, "*/5 * * * *")
	tm.Send(press("space"))
	state("{cron-0001-aaaa agent  */5 * * * *  false")
	tm.Send(press("space"))
	state("{cron-0001-aaaa agent  */5 * * * *  true")
	tm.Send(press("j"))
	tm.Send(press("x"))
	waitScreen(t, tm, "Delete cron cron-000? y delete")
	tm.Send(press("n")) // keeps it
	tm.Send(press("x"))
	tm.Send(press("y"))
	state("[{cron-0001-aaaa agent  */5 * * * *  true <nil> <nil>}]")
	if m := finalModel(t, tm); m.Dialog() != "crons" {
		t.Fatalf("dialog %q", m.Dialog())
	}
}

// TestCronListShowsChanges: after each change the list is read again
// and shows the cron as the backend has it, with the outcome in the
// status bar.
func TestCronListShowsChanges(t *testing.T) {
	b := newTestBackend(t)
	b.crons = []Cron{{ID: "cron-0001-aaaa", Schedule: "*/5 * * * *", Enabled: true}, {ID: "cron-0002-bbbb", Schedule: "0 9 * * 1", Enabled: true}}
	m := New(b, WithNow(fixedClock))
	m.Update(tea.WindowSizeMsg{Width: 100, Height: 30})
	step := func(k string, want ...string) {
		t.Helper()
		_, cmd := m.Update(press(k))
		settle(t, m, cmd)
		out := ansi.Strip(checkFrame(t, m, k))
		for _, w := range want {
			if !strings.Contains(out, w) {
				t.Fatalf("after %s, no %q:\n%s", k, w, out)
			}
		}
	}
	step("o", "cron-000 on  */5 * * * *", "cron-000 on  0 9 * * 1")
	step("space", "cron-000 off */5 * * * *", "cron cron-000 paused")
	step("space", "cron-000 on  */5 * * * *", "cron cron-000 resumed")
	step("j")
	step("x", "Delete cron cron-000? y delete · n/esc keep it")
	step("esc")
	if m.Dialog() != "crons" || len(b.crons) != 2 {
		t.Fatalf("esc on the question: dialog %q, %d crons", m.Dialog(), len(b.crons))
	}
	step("x")
	step("y", "cron cron-000 deleted")
	if out := ansi.Strip(m.View().Content); strings.Contains(out, "0 9 * * 1") {
		t.Fatalf("the deleted cron is still listed:\n%s", out)
	}
	b.crons = nil // deleted elsewhere meanwhile
	step("space", "cron cron-000 not paused: cron cron-0001-aaaa: not found")
}
