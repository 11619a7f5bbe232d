package ui

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"hooklab/sender"
	"hooklab/server/hub"
	"hooklab/server/store"
)

// TestFlowReplay: a real delivery to a real receiver, then `r` replays it
// and the diff opens; the store records the replay.
func TestFlowReplay(t *testing.T) {
	b := newTestBackend(t)
	srv, hits := receiver(t, 200)
	tm := startTUI(t, b)
	id := sendRun(t, b, srv.URL+"/hook")
	waitScreen(t, tm, "delivered")
	tm.Send(tea.KeyPressMsg{Code: 'r', Text: "r"})
	waitScreen(t, tm, "unified")
	m := finalModel(t, tm)
	if m.Dialog() != "diff" {
		t.Fatalf("dialog %q, want diff", m.Dialog())
	}
	if hits.Load() != 2 {
		t.Fatalf("receiver got %d requests, want 2", hits.Load())
	}
	ds, err := b.st.Deliveries(context.Background(), store.DeliveryQuery{})
	if err != nil {
		t.Fatal(err)
	}
	var replays int
	for _, d := range ds {
		if d.ReplayOf == id {
			replays++
		}
	}
	if replays != 1 {
		t.Fatalf("%d deliveries replay %s, want 1", replays, id)
	}
}

// TestFlowEditReplay runs a real "editor" through tea.ExecProcess that
// rewrites the URL, then checks the replay went there.
func TestFlowEditReplay(t *testing.T) {
	b := newTestBackend(t)
	first, _ := receiver(t, 200)
	second, hits2 := receiver(t, 200)
	editor := filepath.Join(t.TempDir(), "editor.sh")
	script := "#!/bin/sh\nsed -i 's#" + first.URL + "/hook#" + second.URL + "/edited#' \"$1\"\n"
	if err := os.WriteFile(editor, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	tm := startTUI(t, b, WithEditor(editor))
	sendRun(t, b, first.URL+"/hook")
	waitScreen(t, tm, "delivered")
	tm.Send(tea.KeyPressMsg{Code: 'e', Text: "e"})
	waitScreen(t, tm, "unified")
	finalModel(t, tm)
	if hits2.Load() != 1 {
		t.Fatalf("edited target got %d requests, want 1", hits2.Load())
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

// TestReplayTwiceReplaysTheOriginal: with follow on, r replayed the
// delivery, the replay's rows took the selection, and a second r replayed
// the replay. Both must replay the delivery selected when r was pressed.
func TestReplayTwiceReplaysTheOriginal(t *testing.T) {
	b := newTestBackend(t)
	srv, hits := receiver(t, 200)
	m := New(b, WithNow(fixedClock))
	m.Update(tea.WindowSizeMsg{Width: 100, Height: 30})
	id := sendRun(t, b, srv.URL+"/hook")
	waitDelivered(t, b, id)
	catchUp(t, m, b)
	if m.selectedDelivery() != id || !m.list.follow {
		t.Fatalf("premise: selected delivery %q follow %v", m.selectedDelivery(), m.list.follow)
	}
	for i := range 2 {
		_, cmd := m.Update(press("r"))
		for _, msg := range runAll(t, cmd) {
			m.Update(msg)
		}
		if m.Dialog() != "diff" || m.dialog.(*diffView).orig.ID != id {
			t.Fatalf("replay %d: dialog %q", i+1, m.Dialog())
		}
		catchUp(t, m, b) // the replay's own events reach the feed
		m.Update(press("esc"))
	}
	ds, err := b.st.Deliveries(context.Background(), store.DeliveryQuery{})
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range ds {
		if d.ID != id && d.ReplayOf != id {
			t.Errorf("delivery %s replays %q, want %s", d.ID, d.ReplayOf, id)
		}
	}
	if len(ds) != 3 || hits.Load() != 3 {
		t.Fatalf("%d deliveries, %d requests; want 3, 3", len(ds), hits.Load())
	}
}

// TestOverlappingReplaysKeepBothDiffs: the second replay to finish used to
// replace the first one's diff. It waits behind it, and esc shows it.
func TestOverlappingReplaysKeepBothDiffs(t *testing.T) {
	m := screen(t, 80, 24, true)
	m.Update(replayDoneMsg{orig: storeDelivery("dlv-a", `{"a":1}`), d: storeDelivery("dlv-a2", `{"a":1}`)})
	m.Update(replayDoneMsg{orig: storeDelivery("dlv-b", `{"b":1}`), d: storeDelivery("dlv-b2", `{"b":2}`)})
	if m.Dialog() != "diff" || m.dialog.(*diffView).orig.ID != "dlv-a" {
		t.Fatal("the second diff replaced the first")
	}
	if !strings.Contains(m.Status(), "queued") || !strings.Contains(ansi.Strip(checkFrame(t, m, "queued")), "esc next diff (1 queued)") {
		t.Fatalf("the queued diff is not announced (status %q)", m.Status())
	}
	m.Update(press("esc"))
	if m.Dialog() != "diff" || m.dialog.(*diffView).orig.ID != "dlv-b" {
		t.Fatalf("esc did not show the queued diff (dialog %q)", m.Dialog())
	}
	m.Update(press("esc"))
	if m.Dialog() != "" {
		t.Fatalf("dialog %q after the last diff", m.Dialog())
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

// TestReplayStatusNamesReason: a refused replay says why in the status bar.
func TestReplayStatusNamesReason(t *testing.T) {
	m := screen(t, 80, 24, true)
	d := storeDelivery("dlv-r2", `{}`)
	d.Outcome, d.Reason = sender.OutcomeRefused, "Webhook domain not allowed"
	m.Update(replayDoneMsg{orig: storeDelivery("dlv-r", `{}`), d: d})
	if s := m.Status(); !strings.Contains(s, "refused") || !strings.Contains(s, "Webhook domain not allowed") {
		t.Fatalf("status %q", s)
	}
}

// TestReplayKeysSayWhyNot: r, e and t on a row that is not about a
// delivery did nothing at all; they say what to select.
func TestReplayKeysSayWhyNot(t *testing.T) {
	for _, k := range []string{"r", "e", "t"} {
		m := screen(t, 80, 24, true) // the newest row is a notice
		if _, cmd := m.Update(press(k)); m.Dialog() != "" || !strings.Contains(m.Status(), "select a delivery") || cmd == nil {
			t.Errorf("%s on a notice: dialog %q status %q", k, m.Dialog(), m.Status())
		}
	}
}

// TestReplayToStartsFromTheOriginalURL: t opens with the delivery's URL,
// so sending it somewhere close is a small edit.
func TestReplayToStartsFromTheOriginalURL(t *testing.T) {
	m := screen(t, 80, 24, true, press("k"), press("k"), press("k"), press("k"), press("k"))
	id := m.selectedDelivery()
	d := storeDelivery(id, `{}`)
	d.URL = "http://127.0.0.1:9000/hook?token=abc"
	m.Update(deliveryMsg{id: id, d: d})
	m.Update(press("t"))
	if m.Dialog() != "replay-to" || m.dialog.(*replayTo).in.value != d.URL {
		t.Fatalf("dialog %q", m.Dialog())
	}
}

func TestReplayFromDocSendsOnlyChanges(t *testing.T) {
	orig := sender.Delivery{ID: "d1", URL: "http://a/x", Body: json.RawMessage(`{"a":1}`),
		Headers: []hub.HeaderKV{{Name: "Content-Type", Value: "application/json"}, {Name: "Authorization", Value: "Bear…"}}}
	doc, err := writeEditDoc(orig)
	if err != nil {
		t.Fatal(err)
	}
	r, err := replayFromDoc(orig, doc)
	if err != nil || r.URL != "" || r.Body != nil || r.Headers != nil {
		t.Fatalf("unchanged document gave %+v, %v", r, err)
	}
	edited := strings.Replace(string(doc), `"a": 1`, `"a": 2`, 1)
	edited = strings.Replace(edited, `"http://a/x"`, `"http://b/y"`, 1)
	edited = strings.Replace(edited, `"Content-Type": "application/json"`, `"Content-Type": "application/json", "X-New": "v"`, 1)
	r, err = replayFromDoc(orig, []byte(edited))
	if err != nil {
		t.Fatal(err)
	}
	if r.URL != "http://b/y" || string(r.Body) != `{"a":2}` || len(r.Headers) != 1 || r.Headers[0].Name != "X-New" {
		t.Fatalf("edited document gave %+v", r)
	}
	if _, err := replayFromDoc(orig, []byte("{nope")); err == nil {
		t.Fatal("invalid JSON accepted")
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

// editorScript writes an executable shell script for $EDITOR.
func editorScript(t *testing.T, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "editor.sh")
	if err := os.WriteFile(p, []byte("#!/bin/sh\n"+body), 0o755); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestFlowEditUnchangedCancels: an editor that saves nothing new cancels
// the edit; nothing is sent and no diff opens.
func TestFlowEditUnchangedCancels(t *testing.T) {
	b := newTestBackend(t)
	srv, hits := receiver(t, 200)
	tm := startTUI(t, b, WithEditor(editorScript(t, "exit 0\n")))
	sendRun(t, b, srv.URL+"/hook")
	waitScreen(t, tm, "delivered")
	tm.Send(press("e"))
	waitScreen(t, tm, "came back unchanged")
	m := finalModel(t, tm)
	if hits.Load() != 1 || m.Dialog() != "" {
		t.Fatalf("%d requests, dialog %q; want only the original and no dialog", hits.Load(), m.Dialog())
	}
}

// TestFlowEditInvalidReopens: a document that is not JSON goes back to
// the editor with the user's text and the parse error at the top; once
// fixed, the replay is sent.
func TestFlowEditInvalidReopens(t *testing.T) {
	b := newTestBackend(t)
	first, _ := receiver(t, 200)
	second, hits2 := receiver(t, 200)
	dir := t.TempDir()
	count, reopened := filepath.Join(dir, "count"), filepath.Join(dir, "reopened.json")
	editor := editorScript(t, `n=$(cat `+count+` 2>/dev/null || echo 0); n=$((n+1)); echo $n > `+count+`
if [ $n = 1 ]; then sed -i 's#"url": #"url" #' "$1"; exit 0; fi
cp "$1" `+reopened+`
sed -i -e '/^\/\/ /d' -e 's#"url" "`+first.URL+`/hook"#"url": "`+second.URL+`/fixed"#' "$1"
`)
	tm := startTUI(t, b, WithEditor(editor))
	sendRun(t, b, first.URL+"/hook")
	waitScreen(t, tm, "delivered")
	tm.Send(press("e"))
	waitScreen(t, tm, "unified")
	m := finalModel(t, tm)
	if hits2.Load() != 1 || m.Dialog() != "diff" {
		t.Fatalf("fixed target got %d requests, dialog %q", hits2.Load(), m.Dialog())
	}
	doc, err := os.ReadFile(reopened)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.SplitN(string(doc), "\n", 4)
	if !strings.HasPrefix(lines[0], "// hooklab: edited document is not valid JSON") || !strings.Contains(lines[0], "(line 2, column") ||
		!strings.HasPrefix(lines[1], "// ") || !strings.HasPrefix(lines[3], `  "url" "`+first.URL+`/hook"`) {
		t.Fatalf("the reopened document:\n%s", doc)
	}
}

// TestFlowDiffReopensFromRow: the diff of a replay opens again later,
// here after a restart of the dashboard, from the replay's own row, with d.
func TestFlowDiffReopensFromRow(t *testing.T) {
	b := newTestBackend(t)
	srv, _ := receiver(t, 200)
	id := sendRun(t, b, srv.URL+"/hook")
	waitDelivered(t, b, id)
	rd, err := b.Replay(context.Background(), sender.Replay{ID: id, Body: json.RawMessage(`{"edited":true}`)})
	if err != nil {
		t.Fatal(err)
	}
	if err := b.st.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	tm := startTUI(t, b)
	waitScreen(t, tm, "↻")
	tm.Send(press("G")) // the replay's row is the newest
	tm.Send(press("d"))
	waitScreen(t, tm, "unified", `+  "edited": true`)
	m := finalModel(t, tm)
	v, ok := m.dialog.(*diffView)
	if !ok || v.orig.ID != id || v.d.ID != rd.ID {
		t.Fatalf("dialog %q", m.Dialog())
	}
	// The very diff `hooklab replay --diff` prints, read from the store.
	orig, err := b.st.Delivery(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	want := sender.DiffReplay(orig, rd).Text()
	if got := strings.Join(v.unified, "\n") + "\n"; got != want {
		t.Fatalf("the dashboard's diff:\n%s\nreplay --diff's:\n%s", got, want)
	}
}

// TestDiffOfIdenticalDeliveries says so, in replay --diff's words.
func TestDiffOfIdenticalDeliveries(t *testing.T) {
	m := screen(t, 80, 24, true)
	d := storeDelivery("dlv-same", `{"a":1}`)
	v := newDiffView(m.kit(), d, d)
	if want := strings.TrimSuffix(sender.DiffReplay(d, d).Text(), "\n"); len(v.unified) != 1 || v.unified[0] != want {
		t.Fatalf("identical: %q, want %q", v.unified, want)
	}
}
