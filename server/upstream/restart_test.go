package upstream

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"hooklab/config"
	"hooklab/sender"
	"hooklab/server/hub"
	"hooklab/server/store"
)

// side is hooklab's side of upstream mode over a store file, with a
// journal, that a test can stop abruptly and start again on the same file.
type side struct {
	URL   string
	up    *Upstream
	store *store.Store
	snd   *sender.Sender
	srv   *httptest.Server
	stop  func(graceful bool)
}

func openSide(t testing.TB, path, upstreamURL string, rt *config.Runtime, opts ...func(*Options)) *side {
	t.Helper()
	h := hub.New()
	st, err := store.Open(path, store.Options{Publish: h.Publish})
	if err != nil {
		t.Fatal(err)
	}
	snd := sender.New(sender.Options{Recorder: st, Runtime: func() *config.Runtime { return rt }, Resolver: loopbackOnly{},
		Version: "test", Backoff: func(int) time.Duration { return 20 * time.Millisecond }})
	ctx, cancel := context.WithCancel(context.Background())
	if err := snd.Start(ctx); err != nil {
		t.Fatal(err)
	}
	o := Options{URL: upstreamURL, Sender: snd, Recorder: st, Journal: st}
	for _, fn := range opts {
		fn(&o)
	}
	up, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(up)
	sd := &side{URL: srv.URL, up: up, store: st, snd: snd, srv: srv}
	done := false
	sd.stop = func(graceful bool) {
		if done {
			return
		}
		done = true
		if graceful { // as App.Close: the observers first, the store last
			up.Close()
		}
		srv.CloseClientConnections()
		srv.Close()
		sctx, scancel := context.WithTimeout(context.Background(), 2*time.Second)
		snd.Close(sctx)
		scancel()
		st.Close()
		up.Close()
		cancel()
		h.Close()
	}
	t.Cleanup(func() { sd.stop(true) })
	if err := up.WaitReady(context.Background(), 5*time.Second); err != nil {
		t.Fatal(err)
	}
	return sd
}

// kill stops the side the way a killed process stops: no more requests,
// and the store is closed before the observers end, so whatever they do
// afterwards never reaches the disk (and the sender is closed first, so
// no webhook leaves either).
func (sd *side) kill() { sd.stop(false) }

// never is a poll schedule that does not poll: a side that must not see
// its runs end.
func never(time.Duration, bool) time.Duration { return time.Hour }

// journalled is what the store holds of the observations.
func journalled(t testing.TB, st *store.Store) map[string]record {
	t.Helper()
	recs, err := st.Load(store.Observations)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]record{}
	for _, r := range recs {
		var rec record
		if err := json.Unmarshal(r.Data, &rec); err != nil {
			t.Fatalf("record %s: %v\n%s", r.ID, err, r.Data)
		}
		out[r.ID] = rec
	}
	return out
}

// waitJournal waits until the store's observations satisfy ok.
func waitJournal(t testing.TB, st *store.Store, what string, ok func(map[string]record) bool) map[string]record {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		j := journalled(t, st)
		if ok(j) {
			return j
		}
		if time.Now().After(deadline) {
			t.Fatalf("journal never %s: %+v", what, j)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// runObj reads a run straight from the upstream.
func runObj(t testing.TB, base, tid, rid string) (int, runObject) {
	t.Helper()
	code, b := get(t, base+"/threads/"+tid+"/runs/"+rid)
	var r runObject
	if code == 200 {
		if err := json.Unmarshal(b, &r); err != nil {
			t.Fatal(err)
		}
	}
	return code, r
}

// waitEnded waits until the upstream reports the run over, and returns it.
func waitEnded(t testing.TB, base, tid, rid string) runObject {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		code, r := runObj(t, base, tid, rid)
		if code == 200 && r.Status != "pending" && r.Status != "running" {
			return r
		}
		if time.Now().After(deadline) {
			t.Fatalf("run %s never ended upstream (%d %s)", rid, code, r.Status)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// waitRunning waits until the upstream runs the run.
func waitRunning(t testing.TB, base, tid, rid string) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		if _, r := runObj(t, base, tid, rid); r.Status == "running" {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("run %s never started upstream", rid)
		}
		time.Sleep(25 * time.Millisecond)
	}
}

// create posts a background run through base, with the headers given as
// name, value pairs, and returns its ids.
func create(t testing.TB, base, path, body string, header ...string) (tid, rid string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, base+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		t.Fatalf("POST %s: %d %s", path, resp.StatusCode, b)
	}
	m := decodeMap(t, b)
	return m["thread_id"].(string), m["run_id"].(string)
}

func sleepy(ms int, extra, hook string) string {
	return fmt.Sprintf(`{"assistant_id":"agent","input":{"messages":[{"role":"human","content":"while away"}]},"config":{"configurable":{"agent_sleep_ms":%d%s}},"webhook":%q}`, ms, extra, hook)
}

// TestResumeAfterKill: hooklab stops abruptly while four runs it forwarded
// are going (a stateless one it forced to keep its thread, a thread run, a
// failing one, and one cancelled through it); they all end upstream while
// it is away. Started again on the same store, it sends each webhook once,
// with the right status and values and the upstream's own end time,
// deletes the kept thread, and leaves nothing journalled.
func TestResumeAfterKill(t *testing.T) {
	t.Parallel() // each has its own store and receiver; the JS server is shared
	js := sharedJSServer(t)
	rt := loadRuntime(t, filepath.Join("testdata", "js", "langgraph.json"))
	recv := newReceiver(t)
	path := filepath.Join(t.TempDir(), "hooklab.db")
	a := openSide(t, path, js.URL, rt, func(o *Options) { o.Poll = never })

	// Credentials on the creating request are used while hooklab runs and
	// never written down.
	sTid, sRid := create(t, a.URL, "/runs", sleepy(600, "", recv.URL+"/stateless"),
		"Authorization", "Bearer sekrit-bearer", "X-Api-Key", "sekrit-key", "Cookie", "session=sekrit-cookie")
	tTid, tRid := create(t, a.URL, "/threads/"+newThread(t, a.URL)+"/runs", sleepy(600, "", recv.URL+"/thread"))
	eTid, eRid := create(t, a.URL, "/threads/"+newThread(t, a.URL)+"/runs", sleepy(600, `,"fail":"review"`, recv.URL+"/error"))
	cTid, cRid := create(t, a.URL, "/threads/"+newThread(t, a.URL)+"/runs", sleepy(20000, "", recv.URL+"/cancel"))
	waitRunning(t, js.URL, cTid, cRid)
	if code, b, _ := post(t, a.URL+"/threads/"+cTid+"/runs/"+cRid+"/cancel?action=interrupt", ``); code/100 != 2 {
		t.Fatalf("cancel: %d %s", code, b)
	}
	j := waitJournal(t, a.store, "held the four runs and the cancel", func(j map[string]record) bool {
		return len(j) == 4 && j[cRid].Intent == "interrupt"
	})
	if r := j[sRid]; !r.ForcedKeep || !r.Stateless || r.ThreadID != sTid || r.Webhook != recv.URL+"/stateless" || r.At.IsZero() {
		t.Errorf("stateless record %+v", r)
	}
	raw, _ := a.store.Load(store.Observations)
	for _, r := range raw {
		if strings.Contains(string(r.Data), "sekrit") {
			t.Errorf("a record holds credentials: %s", r.Data)
		}
	}
	a.kill()

	ends := map[string]runObject{}
	for _, id := range [][2]string{{sTid, sRid}, {tTid, tRid}, {eTid, eRid}, {cTid, cRid}} {
		ends[id[1]] = waitEnded(t, js.URL, id[0], id[1])
	}
	if n := recv.count(); n != 0 {
		t.Fatalf("%d webhooks while hooklab was down", n)
	}
	restart := time.Now()
	b := openSide(t, path, js.URL, rt)
	if n, err := b.up.Resume(context.Background()); err != nil || n != 4 {
		t.Fatalf("Resume: %d, %v; want 4", n, err)
	}
	want := map[string]struct{ status, last, errMsg string }{
		sRid: {"success", "-", ""},
		tRid: {"success", "review saw: while away", ""},
		eRid: {"error", "agent saw: while away", "review failed on purpose"},
		cRid: {"interrupted", "while away", ""},
	}
	for rid, w := range want {
		h := recv.waitRun(t, rid, 1, 20*time.Second)[0]
		body := h.Body
		if body["status"] != w.status || (w.last == "-") != (body["values"] == nil) || w.last != "-" && lastMessage(body["values"]) != w.last {
			t.Errorf("run %s: status %v values %v; want %s, last message %q", rid, body["status"], body["values"], w.status, w.last)
		}
		e, _ := body["error"].(map[string]any)
		if w.errMsg != "" && (e == nil || e["message"] != w.errMsg || e["error"] != "TypeError") || w.errMsg == "" && body["error"] != nil {
			t.Errorf("run %s: error %v, want %q", rid, body["error"], w.errMsg)
		}
		ended, _ := time.Parse(time.RFC3339Nano, fmt.Sprint(body["run_ended_at"]))
		if up := parseTime(ends[rid].UpdatedAt); !ended.Equal(up) || !ended.Before(restart) {
			t.Errorf("run %s: run_ended_at %v, want the upstream's %v (before the restart at %v)", rid, body["run_ended_at"], up, restart)
		}
		kw, _ := body["kwargs"].(map[string]any)
		if kw["webhook"] != strings.TrimSuffix(recv.URL, "/")+h.Path {
			t.Errorf("run %s: kwargs.webhook %v", rid, kw["webhook"])
		}
		if rid == sRid && kw["temporary"] != true {
			t.Errorf("stateless run: kwargs.temporary %v, want true", kw["temporary"])
		}
	}
	waitJournal(t, b.store, "emptied", func(j map[string]record) bool { return len(j) == 0 })
	if code, _ := get(t, js.URL+"/threads/"+sTid); code != 404 {
		t.Errorf("the stateless run's kept thread: GET %d, want 404 (deleted)", code)
	}
	time.Sleep(300 * time.Millisecond) // a settle window for a duplicate that would be a bug
	for rid := range want {
		if n := len(recv.forRun(rid)); n != 1 {
			t.Errorf("run %s: %d webhooks, want 1", rid, n)
		}
	}
}

// TestResumeStillRunning: hooklab stops while a run is still going and
// starts again before it ends; it observes the run to its end and sends
// the webhook once.
func TestResumeStillRunning(t *testing.T) {
	t.Parallel() // each has its own store and receiver; the JS server is shared
	js := sharedJSServer(t)
	rt := loadRuntime(t, filepath.Join("testdata", "js", "langgraph.json"))
	recv := newReceiver(t)
	path := filepath.Join(t.TempDir(), "hooklab.db")
	a := openSide(t, path, js.URL, rt)
	tid, rid := create(t, a.URL, "/runs", sleepy(2500, "", recv.URL+"/running"))
	waitJournal(t, a.store, "saw the run running", func(j map[string]record) bool { return !j[rid].SawRunning.IsZero() })
	a.kill()
	if code, r := runObj(t, js.URL, tid, rid); code != 200 || r.Status != "running" {
		t.Fatalf("the run is not running after the stop (%d %s): the test proves nothing", code, r.Status)
	}
	b := openSide(t, path, js.URL, rt)
	if n, err := b.up.Resume(context.Background()); err != nil || n != 1 {
		t.Fatalf("Resume: %d, %v; want 1", n, err)
	}
	h := recv.waitRun(t, rid, 1, 20*time.Second)[0]
	if h.Body["status"] != "success" || h.Body["values"] != nil {
		t.Errorf("webhook status %v values %v, want success and null (stateless)", h.Body["status"], h.Body["values"])
	}
	waitJournal(t, b.store, "emptied", func(j map[string]record) bool { return len(j) == 0 })
	if code, _ := get(t, js.URL+"/threads/"+tid); code != 404 {
		t.Errorf("kept thread: GET %d, want 404", code)
	}
	time.Sleep(300 * time.Millisecond)
	if n := len(recv.forRun(rid)); n != 1 {
		t.Errorf("%d webhooks, want 1", n)
	}
}

// diesAfterSend hands the job to the real sender and then ends the
// calling goroutine, as a process killed right after Send returned would:
// the observer never gets to delete the kept thread or the record.
type diesAfterSend struct {
	real Sender
	sent chan string
}

func (d *diesAfterSend) Send(ctx context.Context, j sender.Job) (string, error) {
	d.real.Send(ctx, j)
	d.sent <- j.Run.RunID
	runtime.Goexit()
	return "", nil
}

// TestResumeAfterHandOff: hooklab dies between handing a webhook to the
// sender and deleting the run's record (and its kept thread). The next
// start finds the delivery in the store and does not send again; it only
// deletes the thread and the record.
func TestResumeAfterHandOff(t *testing.T) {
	t.Parallel() // each has its own store and receiver; the JS server is shared
	js := sharedJSServer(t)
	rt := loadRuntime(t, filepath.Join("testdata", "js", "langgraph.json"))
	recv := newReceiver(t)
	path := filepath.Join(t.TempDir(), "hooklab.db")
	d := &diesAfterSend{sent: make(chan string, 1)}
	a := openSide(t, path, js.URL, rt, func(o *Options) { d.real, o.Sender = o.Sender, d })
	tid, rid := create(t, a.URL, "/runs", sleepy(100, "", recv.URL+"/handoff"))
	select {
	case <-d.sent:
	case <-time.After(20 * time.Second):
		t.Fatal("the run's webhook was never handed to the sender")
	}
	recv.waitRun(t, rid, 1, 10*time.Second)
	for deadline := time.Now().Add(10 * time.Second); ; {
		ds, err := a.store.Deliveries(context.Background(), deliveriesFor(rid))
		if err == nil && len(ds) == 1 && ds[0].Outcome == sender.OutcomeDelivered {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("delivery never recorded as delivered: %+v %v", ds, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if j := journalled(t, a.store); len(j) != 1 || j[rid].ThreadID != tid {
		t.Fatalf("journal after the hand-off: %+v, want the run's record still there", j)
	}
	if code, _ := get(t, js.URL+"/threads/"+tid); code != 200 {
		t.Fatalf("kept thread: GET %d before the restart, want 200 (the test proves nothing)", code)
	}
	a.kill()

	b := openSide(t, path, js.URL, rt)
	if n, err := b.up.Resume(context.Background()); err != nil || n != 0 {
		t.Fatalf("Resume: %d, %v; want 0 runs observed again", n, err)
	}
	waitJournal(t, b.store, "emptied", func(j map[string]record) bool { return len(j) == 0 })
	if code, _ := get(t, js.URL+"/threads/"+tid); code != 404 {
		t.Errorf("kept thread: GET %d after the restart, want 404", code)
	}
	time.Sleep(300 * time.Millisecond)
	if n := len(recv.forRun(rid)); n != 1 {
		t.Errorf("%d webhooks, want 1", n)
	}
	if ds, err := b.store.Deliveries(context.Background(), deliveriesFor(rid)); err != nil || len(ds) != 1 {
		t.Errorf("deliveries after the restart: %d (%v), want 1", len(ds), err)
	}
}

// TestResumeAfterStop: a hooklab stopped the ordinary way while a run is
// going reports nothing lost and keeps the run's record; the next start
// observes the run to its end and sends its webhook once.
func TestResumeAfterStop(t *testing.T) {
	t.Parallel() // each has its own store and receiver; the JS server is shared
	js := sharedJSServer(t)
	rt := loadRuntime(t, filepath.Join("testdata", "js", "langgraph.json"))
	recv := newReceiver(t)
	path := filepath.Join(t.TempDir(), "hooklab.db")
	a := openSide(t, path, js.URL, rt)
	tid, rid := create(t, a.URL, "/threads/"+newThread(t, a.URL)+"/runs", sleepy(2000, "", recv.URL+"/stopped"))
	waitJournal(t, a.store, "saw the run running", func(j map[string]record) bool { return !j[rid].SawRunning.IsZero() })
	a.up.Close()
	if j := journalled(t, a.store); len(j) != 1 || j[rid].ThreadID != tid {
		t.Fatalf("journal after Close: %+v, want the run's record", j)
	}
	evs, err := a.store.Events(context.Background(), store.Query{Kinds: []hub.Kind{hub.KindRun}})
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range evs {
		var ri hub.RunInfo
		if e.Decode(&ri) == nil && ri.RunID == rid && ri.Status == "lost" {
			t.Errorf("the run was reported lost at a stop: %+v", ri)
		}
	}
	a.stop(true)
	if _, r := runObj(t, js.URL, tid, rid); r.Status != "running" {
		t.Fatalf("the run is %q after the stop: the test proves nothing", r.Status)
	}
	b := openSide(t, path, js.URL, rt)
	if n, err := b.up.Resume(context.Background()); err != nil || n != 1 {
		t.Fatalf("Resume: %d, %v; want 1", n, err)
	}
	h := recv.waitRun(t, rid, 1, 20*time.Second)[0]
	if h.Body["status"] != "success" || lastMessage(h.Body["values"]) != "review saw: while away" {
		t.Errorf("webhook status %v values %v", h.Body["status"], h.Body["values"])
	}
	waitJournal(t, b.store, "emptied", func(j map[string]record) bool { return len(j) == 0 })
	time.Sleep(300 * time.Millisecond)
	if n := len(recv.forRun(rid)); n != 1 {
		t.Errorf("%d webhooks, want 1", n)
	}
}

// TestResumeRunGoneUpstream: a run whose thread was deleted upstream while
// hooklab was down is reported, with the reason, and nothing is sent; its
// record goes.
func TestResumeRunGoneUpstream(t *testing.T) {
	t.Parallel() // each has its own store and receiver; the JS server is shared
	js := sharedJSServer(t)
	rt := loadRuntime(t, filepath.Join("testdata", "js", "langgraph.json"))
	recv := newReceiver(t)
	path := filepath.Join(t.TempDir(), "hooklab.db")
	a := openSide(t, path, js.URL, rt, func(o *Options) { o.Poll = never })
	tid, rid := create(t, a.URL, "/threads/"+newThread(t, a.URL)+"/runs", sleepy(20000, "", recv.URL+"/gone"))
	waitJournal(t, a.store, "held the run", func(j map[string]record) bool { return j[rid].RunID == rid })
	a.kill()
	waitRunning(t, js.URL, tid, rid)
	post(t, js.URL+"/threads/"+tid+"/runs/"+rid+"/cancel?action=interrupt", ``) // frees the shared server's worker
	req, _ := http.NewRequest(http.MethodDelete, js.URL+"/threads/"+tid, nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if code, _ := runObj(t, js.URL, tid, rid); code != 404 {
		t.Fatalf("the run is still there upstream (%d) after its thread was deleted: the test proves nothing", code)
	}
	b := openSide(t, path, js.URL, rt)
	if n, err := b.up.Resume(context.Background()); err != nil || n != 1 {
		t.Fatalf("Resume: %d, %v; want 1", n, err)
	}
	waitJournal(t, b.store, "emptied", func(j map[string]record) bool { return len(j) == 0 })
	evs, err := b.store.Events(context.Background(), store.Query{Kinds: []hub.Kind{hub.KindRun}})
	if err != nil {
		t.Fatal(err)
	}
	var last hub.RunInfo
	for _, e := range evs {
		var ri hub.RunInfo
		if e.Decode(&ri) == nil && ri.RunID == rid {
			last = ri
		}
	}
	if !strings.Contains(last.Error, "deleted upstream") {
		t.Errorf("last run event %+v, want the reason (deleted upstream)", last)
	}
	time.Sleep(300 * time.Millisecond)
	if n := len(recv.forRun(rid)); n != 0 {
		t.Errorf("%d webhooks for a run deleted upstream, want 0", n)
	}
}

// TestResumeWithoutCredentials: an upstream that wants credentials (a
// deployment) refuses a resumed observer, which has none: the run is
// reported lost with the reason, not polled until the run timeout, and its
// record goes.
func TestResumeWithoutCredentials(t *testing.T) {
	t.Parallel()
	js := sharedJSServer(t)
	target, _ := url.Parse(js.URL)
	rp := &httputil.ReverseProxy{Rewrite: func(pr *httputil.ProxyRequest) { pr.SetURL(target) }}
	guard := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/ok" && r.URL.Path != "/info" && r.Header.Get("Authorization") != "Bearer sekrit" {
			http.Error(w, `{"detail":"credentials required"}`, http.StatusUnauthorized)
			return
		}
		rp.ServeHTTP(w, r)
	}))
	t.Cleanup(guard.Close)
	rt := loadRuntime(t, filepath.Join("testdata", "js", "langgraph.json"))
	recv := newReceiver(t)
	path := filepath.Join(t.TempDir(), "hooklab.db")
	a := openSide(t, path, guard.URL, rt, func(o *Options) { o.Poll = never })
	tid, rid := create(t, a.URL, "/threads/"+newThread(t, js.URL)+"/runs", sleepy(300, "", recv.URL+"/creds"), "Authorization", "Bearer sekrit")
	waitJournal(t, a.store, "held the run", func(j map[string]record) bool { return j[rid].RunID == rid })
	a.kill()
	waitEnded(t, js.URL, tid, rid)
	b := openSide(t, path, guard.URL, rt)
	if n, err := b.up.Resume(context.Background()); err != nil || n != 1 {
		t.Fatalf("Resume: %d, %v; want 1", n, err)
	}
	waitJournal(t, b.store, "emptied", func(j map[string]record) bool { return len(j) == 0 })
	evs, err := b.store.Events(context.Background(), store.Query{Kinds: []hub.Kind{hub.KindRun}})
	if err != nil {
		t.Fatal(err)
	}
	var last hub.RunInfo
	for _, e := range evs {
		var ri hub.RunInfo
		if e.Decode(&ri) == nil && ri.RunID == rid {
			last = ri
		}
	}
	if last.Status != "lost" || !strings.Contains(last.Error, "HTTP 401") {
		t.Errorf("last run event %+v, want lost, naming the refusal", last)
	}
	if n := len(recv.forRun(rid)); n != 0 {
		t.Errorf("%d webhooks, want 0", n)
	}
}
