package ui

import (
	"os"
	"path/filepath"
	"testing"

	tea "charm.land/bubbletea/v2"
)

// heldModel is a 120x40 dashboard holding n events.
func heldModel(t testing.TB, n int) *Model {
	m := New(newTestBackend(t), WithNow(fixedClock))
	m.sub = nil // the batches come from the test
	m.Update(tea.WindowSizeMsg{Width: 120, Height: 40})
	for i := 0; i < n; i += maxBatch {
		m.Update(eventsMsg{events: benchEvents(i, min(maxBatch, n-i))})
	}
	return m
}

// TestViewCostIsPerVisibleRow: a frame allocates the same with 1k or 50k
// events held (counted in allocations, not time).
func TestViewCostIsPerVisibleRow(t *testing.T) {
	small, big := heldModel(t, 1000), heldModel(t, 50_000)
	a := testing.AllocsPerRun(20, func() { _ = small.View() })
	b := testing.AllocsPerRun(20, func() { _ = big.View() })
	if b > a*1.1+5 {
		t.Fatalf("View allocates %.0f times with 50k events, %.0f with 1k", b, a)
	}
}

// TestUpdateBatchIsLinear: absorbing one drained batch costs in proportion
// to its size: allocations for 2048 events are about four times those for
// 512, not sixteen.
func TestUpdateBatchIsLinear(t *testing.T) {
	cost := func(n int) float64 {
		m := heldModel(t, 4096)
		seq := 4096
		return testing.AllocsPerRun(5, func() {
			m.Update(eventsMsg{events: benchEvents(seq, n)})
			seq += n
		})
	}
	small, big := cost(512), cost(2048)
	if big > small*4*1.5 {
		t.Fatalf("a 2048-event batch allocates %.0f times, a 512 one %.0f: worse than linear", big, small)
	}
}

// TestFlowReplayFailures: replay to an invalid URL is refused by the
// policy (recorded, with its diff); an editor that exits non-zero and one
// that writes invalid JSON say why in the status bar. None sends anything.
func TestFlowReplayFailures(t *testing.T) {
	dir := t.TempDir()
	scripts := map[string]string{"fail.sh": "#!/bin/sh\nexit 3\n", "garble.sh": "#!/bin/sh\necho '{not json' > \"$1\"\n"}
	for name, s := range scripts {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(s), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	cases := []struct {
		name, editor string
		keys         []tea.Msg
		want         string
	}{
		{"ReplayToInvalidURL", "", append(append([]tea.Msg{press("t"), keyOf("ctrl+u")}, typeText("not a url")...), press("enter")), "refused (unified)"},
		{"EditorExitsNonZero", filepath.Join(dir, "fail.sh"), []tea.Msg{press("e")}, "editor: exit status 3"},
		{"EditorWritesInvalidJSON", filepath.Join(dir, "garble.sh"), []tea.Msg{press("e")}, "not valid JSON"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			b := newTestBackend(t)
			srv, hits := receiver(t, 200)
			tm := startTUI(t, b, WithEditor(c.editor))
			sendRun(t, b, srv.URL+"/hook")
			waitScreen(t, tm, "delivered")
			for _, k := range c.keys {
				tm.Send(k)
			}
			waitScreen(t, tm, c.want)
			m := finalModel(t, tm)
			if hits.Load() != 1 {
				t.Fatalf("receiver got %d requests, want only the original", hits.Load())
			}
			if m.Dialog() == "diff" && c.editor != "" {
				t.Fatal("a failed replay opened a diff")
			}
		})
	}
}
