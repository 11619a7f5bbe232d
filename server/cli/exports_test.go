package cli

import (
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"hooklab/config"
	"hooklab/sender"
	"hooklab/server/store"
)

// TestHistoryCurlByPrefixFromAnotherDirectory is the check:
// `history --curl` with the 8 characters the dashboard shows, run from a
// directory whose langgraph.json says something else, prints the
// template in force when the delivery was made as ${LG_WEBHOOK_TOKEN} and
// a sink URL with the address of the hooklab that sent it, with or
// without that hooklab still running.
func TestHistoryCurlByPrefixFromAnotherDirectory(t *testing.T) {
	path := filepath.Join(t.TempDir(), "h.db")
	_, f := secretConfig(t)
	l := startLab(t, path, f, secretEnv)
	rcv := newReceiver(t, 200)
	d := l.Delivered(t, l.Run(t, rcv.URL+"/hook?q=1"))
	sink := l.Delivered(t, l.Run(t, "/hooklab/sink/curl?x=1"))

	elsewhere := t.TempDir()
	writeFile(t, filepath.Join(elsewhere, "langgraph.json"),
		`{"graphs": {"agent": "x"}, "webhooks": {"headers": {"Authorization": "Token ${{ env.LG_WEBHOOK_ELSEWHERE }}"}}}`)
	t.Chdir(elsewhere)
	check := func(stage string) {
		t.Helper()
		code, out, errs := history(t, secretEnv, "--store", path, "--curl", d.ID[:8])
		if code != 0 || !strings.Contains(out, `-H "Authorization: Bearer ${LG_WEBHOOK_TOKEN}"`) || !strings.Contains(out, "# delivery "+d.ID) {
			t.Fatalf("%s: --curl %s: exit %d:\n%s%s", stage, d.ID[:8], code, out, errs)
		}
		if strings.Contains(out+errs, secret) || strings.Contains(out, "…") || strings.Contains(out, "ELSEWHERE") {
			t.Fatalf("%s: a secret, a masked value or the current directory's template was printed:\n%s", stage, out)
		}
		code, out, errs = history(t, noEnv, "--store", path, "--curl", sink.ID[:8])
		if code != 0 || !strings.Contains(out, "curl -X POST 'http://"+l.Addr+"/hooklab/sink/curl?x=1'") || strings.Contains(out, "2024") {
			t.Fatalf("%s: --curl of the sink delivery: exit %d:\n%s%s", stage, code, out, errs)
		}
	}
	check("owner running")
	runCurl(t, mustCurl(t, path, d.ID[:8]), secret, rcv, 2, d.Body)
	l.Close()
	check("owner gone")
}

// mustCurl is the output of `history --curl id`.
func mustCurl(t *testing.T, path, id string) string {
	t.Helper()
	code, out, errs := history(t, noEnv, "--store", path, "--curl", id)
	if code != 0 {
		t.Fatalf("--curl %s: exit %d: %s", id, code, errs)
	}
	return out
}

// putDeliveries stores deliveries with the given ids, one second apart.
func putDeliveries(t *testing.T, st *store.Store, ids ...string) {
	t.Helper()
	at := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for i, id := range ids {
		at := at.Add(time.Duration(i) * time.Second)
		st.PutDelivery(sender.Delivery{ID: id, RunID: "run", URL: "/hooklab/sink/p", Outcome: sender.OutcomeDelivered,
			Attempts: 1, Status: 200, Body: json.RawMessage(`{"run_id":"run"}`), CreatedAt: at, UpdatedAt: at})
	}
	if err := st.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
}

// TestAmbiguousPrefixNamesTheCandidates: through the owner and from the
// file, `history --curl` and `replay` refuse an ambiguous prefix with a
// usage error that names every candidate.
func TestAmbiguousPrefixNamesTheCandidates(t *testing.T) {
	path := filepath.Join(t.TempDir(), "h.db")
	l := startLab(t, path, config.Default(), noEnv)
	putDeliveries(t, l.St, "cafe0001-aaaa", "cafe0002-bbbb")
	check := func(stage string) {
		t.Helper()
		for _, args := range [][]string{{"history", "--curl", "cafe000"}, {"replay", "cafe000"}} {
			code, out, errs := run(t, noEnv, nil, append(args, "--store", path)...)
			if code != 2 || out != "" || !strings.Contains(errs, "cafe0001-aaaa") || !strings.Contains(errs, "cafe0002-bbbb") || !strings.Contains(errs, "give more characters") {
				t.Fatalf("%s: %v: exit %d:\n%s%s", stage, args, code, out, errs)
			}
		}
	}
	check("owner running")
	l.Close()
	check("owner gone")
}

// TestHistoryShowsReplayOfAndReplayDiff: the table and the JSON have
// replay_of, replay takes a prefix, and --diff prints the diff the
// dashboard shows (sender.DiffReplay of the original and the replay).
func TestHistoryShowsReplayOfAndReplayDiff(t *testing.T) {
	path := filepath.Join(t.TempDir(), "h.db")
	l := startLab(t, path, config.Default(), noEnv)
	rcv, other := newReceiver(t, 500), newReceiver(t, 200)
	d := l.Delivered(t, l.Run(t, rcv.URL+"/first"))

	code, out, errs := replay(t, noEnv, d.ID[:8], "--to", other.URL+"/again", "--store", path, "--diff")
	if code != 0 || !strings.HasPrefix(out, "delivered  status=200") {
		t.Fatalf("replay --diff by prefix: exit %d:\n%s%s", code, out, errs)
	}
	ds, err := l.St.Deliveries(context.Background(), store.DeliveryQuery{})
	if err != nil || len(ds) != 2 || ds[0].ReplayOf != d.ID {
		t.Fatalf("deliveries %+v, %v", ds, err)
	}
	orig, _ := l.St.Delivery(context.Background(), d.ID)
	want := sender.DiffReplay(orig, ds[0]).Text()
	if diff := out[strings.Index(out, "\n")+1:]; diff != want {
		t.Fatalf("--diff printed\n%s\nwant the dashboard's\n%s", diff, want)
	}
	for _, s := range []string{"-POST " + rcv.URL + "/first", "+POST " + other.URL + "/again", "-=== response: failed 500", "+=== response: delivered 200"} {
		if !strings.Contains(want, s) {
			t.Errorf("the diff lacks %q:\n%s", s, want)
		}
	}

	// --json --diff: the delivery and the diff, for scripts.
	code, out, _ = replay(t, noEnv, d.ID, "--to", other.URL+"/json", "--store", path, "--diff", "--json")
	var both struct {
		Delivery sender.Delivery   `json:"delivery"`
		Diff     sender.ReplayDiff `json:"diff"`
	}
	if code != 0 || json.Unmarshal([]byte(out), &both) != nil || both.Delivery.ReplayOf != d.ID || !strings.Contains(both.Diff.Unified, "+POST "+other.URL+"/json") {
		t.Fatalf("--diff --json: exit %d: %s", code, out)
	}

	rows := historyJSON(t, "--store", path)
	if len(rows) != 3 || rows[0]["replay_of"] != d.ID || rows[2]["replay_of"] != "" {
		t.Fatalf("history --json replay_of: %v", rows)
	}
	_, out, _ = history(t, noEnv, "--store", path)
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if !strings.HasSuffix(lines[0], "REPLAY_OF") || !strings.HasSuffix(lines[1], d.ID) || !strings.HasSuffix(lines[3], " -") {
		t.Fatalf("history table:\n%s", out)
	}
	if strings.Index(lines[0], "REPLAY_OF") != strings.LastIndex(lines[1], d.ID) {
		t.Fatalf("REPLAY_OF column is not aligned:\n%s", out)
	}
}
