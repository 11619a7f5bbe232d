package engine

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"
)

// drain collects the events of a join stream until n have come.
func drain(t *testing.T, s *FeedSub, n int) []FeedEvent {
	t.Helper()
	var out []FeedEvent
	deadline := time.After(5 * time.Second)
	for len(out) < n {
		evs, over, wake := s.Next()
		out = append(out, evs...)
		if over || len(out) >= n {
			break
		}
		select {
		case <-wake:
		case <-deadline:
			t.Fatalf("only %d of %d events: %v", len(out), n, names(out))
		}
	}
	return out
}

func names(evs []FeedEvent) []string {
	var out []string
	for _, e := range evs {
		out = append(out, e.Name)
	}
	return out
}

func TestThreadJoinStream(t *testing.T) {
	e := newTestEngine(t)
	tid := mustThread(t, e, nil)
	all, _, err := e.JoinThread(tid, []string{"run_modes", "state_update"}, "")
	if err != nil {
		t.Fatal(err)
	}
	life, _, _ := e.JoinThread(tid, []string{"lifecycle"}, "")
	run(t, e, tid, RunRequest{Input: raw(`{"messages":["x"]}`), StreamResumable: true})
	if _, err := e.UpdateThreadState(tid, StateUpdate{Values: raw(`{"n":1}`)}); err != nil {
		t.Fatal(err)
	}
	got := drain(t, all, 5)
	if strings.Join(names(got), ",") != "metadata,values,values,metadata,state_update" {
		t.Fatalf("events: %v", names(got))
	}
	if !strings.Contains(string(got[3].Data), `"run_done"`) || !strings.Contains(string(got[4].Data), `"thread_id":"`+tid+`"`) {
		t.Errorf("run_done %s, state_update %s", got[3].Data, got[4].Data)
	}
	for i := 1; i < len(got); i++ {
		if !parseFeedID(got[i-1].ID).before(parseFeedID(got[i].ID)) {
			t.Errorf("ids do not increase: %s then %s", got[i-1].ID, got[i].ID)
		}
	}
	if l := drain(t, life, 2); strings.Join(names(l), ",") != "metadata,metadata" || !strings.Contains(string(l[0].Data), `"attempt"`) {
		t.Errorf("lifecycle: %v", names(l))
	}
	// A replay after the first event: the resumable run's later events and its end.
	_, replay, err := e.JoinThread(tid, nil, got[0].ID)
	if err != nil || strings.Join(names(replay), ",") != "values,values,metadata" || replay[0].ID != got[1].ID {
		t.Errorf("replay: %v %v", names(replay), err)
	}
	for _, bad := range []string{"-1", "x", "1-"} {
		if _, _, err := e.JoinThread(tid, nil, bad); !errors.Is(err, ErrInvalid) {
			t.Errorf("Last-Event-ID %q: %v", bad, err)
		}
	}
	if _, _, err := e.JoinThread(tid, []string{"values"}, ""); !errors.Is(err, ErrInvalid) {
		t.Errorf("an unknown mode: %v", err)
	}
	// Deleting the thread ends its streams; closing the engine ends the rest.
	other, _, _ := e.JoinThread(NewID(), nil, "")
	if err := e.DeleteThread(tid); err != nil {
		t.Fatal(err)
	}
	if _, over, _ := all.Next(); !over {
		t.Error("the stream of a deleted thread did not end")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	e.Close(ctx)
	if _, over, _ := other.Next(); !over {
		t.Error("a stream did not end when the engine closed")
	}
}
