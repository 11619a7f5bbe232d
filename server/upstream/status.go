package upstream

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"time"

	"hooklab/server/hub"
)

// Status is the upstream's state for the dashboard header.
func (u *Upstream) Status() hub.UpstreamInfo {
	u.mu.Lock()
	defer u.mu.Unlock()
	st := u.st
	st.Observing = len(u.watches)
	return st
}

func (u *Upstream) outageCount() uint64 {
	u.mu.Lock()
	defer u.mu.Unlock()
	return u.outages
}

// markUp notes an answer from the upstream.
func (u *Upstream) markUp() {
	u.mu.Lock()
	if u.st.Reachable {
		u.mu.Unlock()
		return
	}
	u.st.Reachable, u.st.Detail, u.st.Since = true, "", u.o.Now()
	st := u.st
	ws := u.liveLocked()
	u.mu.Unlock()
	u.emit(hub.KindUpstream, st)
	for _, w := range ws {
		w.poke() // a restart shows in the next poll
	}
	if st.Version == "" || u.outageCount() > 0 {
		u.wg.Add(1)
		go func() {
			defer u.wg.Done()
			ctx, cancel := context.WithTimeout(u.ctx, 5*time.Second)
			defer cancel()
			u.refreshInfo(ctx)
		}()
	}
}

// markDown notes that the upstream could not be reached.
func (u *Upstream) markDown(err error) {
	u.mu.Lock()
	detail := "unreachable: " + errText(err)
	if !u.st.Reachable && !u.st.Since.IsZero() {
		u.mu.Unlock()
		return
	}
	u.st.Reachable, u.st.Detail, u.st.Since = false, detail, u.o.Now()
	u.outages++
	st := u.st
	u.mu.Unlock()
	u.emit(hub.KindUpstream, st)
}

func (u *Upstream) liveLocked() []*watch {
	ws := make([]*watch, 0, len(u.watches))
	for _, w := range u.watches {
		ws = append(ws, w)
	}
	return ws
}

// probe asks the upstream's /ok once.
func (u *Upstream) probe(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	code, b, err := u.call(ctx, http.MethodGet, "/ok", nil, nil)
	if err != nil {
		if dialFailed(err) {
			u.markDown(err)
		}
		return err
	}
	u.markUp()
	if code != http.StatusOK {
		return fmt.Errorf("GET /ok answered HTTP %d: %.200s", code, b)
	}
	return nil
}

// refreshInfo reads the upstream's version from /info.
func (u *Upstream) refreshInfo(ctx context.Context) {
	code, b, err := u.call(ctx, http.MethodGet, "/info", nil, nil)
	if err != nil || code != http.StatusOK {
		return
	}
	var info struct {
		Version    string `json:"version"`
		Context    string `json:"context"`
		JSVersion  string `json:"langgraph_js_version"`
		PyVersion  string `json:"langgraph_py_version"`
		APIVersion string `json:"langgraph_api_version"`
	}
	if json.Unmarshal(b, &info) != nil {
		return
	}
	v := "langgraph-api " + info.Version
	if info.Context == "js" || info.JSVersion != "" {
		v = "langgraph-js " + info.Version
	}
	if info.Version == "" {
		v = "unknown version"
	}
	u.mu.Lock()
	changed := u.st.Version != v
	u.st.Version = v
	st := u.st
	u.mu.Unlock()
	if changed {
		u.emit(hub.KindUpstream, st)
	}
}

// monitor checks /ok while hooklab runs, often while the upstream is
// down, so the status shows its return at once.
func (u *Upstream) monitor() {
	defer u.wg.Done()
	t := time.NewTimer(0)
	defer t.Stop()
	for {
		select {
		case <-u.ctx.Done():
			return
		case <-t.C:
		}
		u.probe(u.ctx)
		d := u.o.Monitor
		if !u.Status().Reachable {
			d = downProbe
		}
		t.Reset(d)
	}
}

// downProbe is how often /ok is checked while the upstream is down.
const downProbe = 250 * time.Millisecond

// DownError is the error of an upstream that does not answer at start.
type DownError struct {
	URL    string
	Err    error
	Waited time.Duration
	Child  bool // hooklab started the upstream itself
}

func (e *DownError) Error() string {
	if e.Child {
		return fmt.Sprintf("upstream %s did not answer GET /ok within %s (%v); check the command's output above, and that it listens on that address (for the JS server: --port and --host 127.0.0.1)",
			e.URL, e.Waited.Round(time.Millisecond), e.Err)
	}
	return fmt.Sprintf("upstream %s is not answering (GET /ok: %v); start your LangGraph server there first "+
		"(npx @langchain/langgraph-cli dev --port PORT --no-browser, or langgraph dev --port PORT --no-browser), "+
		"or give hooklab the command after --: hooklab dev --upstream %s -- npx @langchain/langgraph-cli dev --port PORT --no-browser",
		e.URL, e.Err, e.URL)
}

func (e *DownError) Unwrap() error { return e.Err }

// WaitReady polls the upstream's /ok every 100 ms until it answers 200,
// for at most timeout (0: one try), then reads its version from /info. It
// gives up early when the child (see Attach) exits.
func (u *Upstream) WaitReady(ctx context.Context, timeout time.Duration) error {
	start := time.Now()
	child := u.attached()
	for {
		err := u.probe(ctx)
		if err == nil {
			ictx, cancel := context.WithTimeout(ctx, 5*time.Second)
			u.refreshInfo(ictx)
			cancel()
			return nil
		}
		if child != nil {
			select {
			case <-child.Done():
				return fmt.Errorf("upstream command %q exited before %s answered: %v", child.Name(), u.label, child.Err())
			default:
			}
		}
		if time.Since(start) >= timeout || ctx.Err() != nil {
			return &DownError{URL: u.label, Err: errTextErr(err), Waited: time.Since(start), Child: child != nil}
		}
		select {
		case <-ctx.Done():
		case <-time.After(100 * time.Millisecond):
		}
	}
}

type textErr string

func (e textErr) Error() string { return string(e) }

func errTextErr(err error) error { return textErr(errText(err)) }
