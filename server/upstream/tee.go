package upstream

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"

	"hooklab/sender"
)

// Bounds on what the tee keeps of a relayed body.
const (
	maxWaitBody = 8 << 20 // a wait answer parsed for __error__
	maxSSELine  = 1 << 20 // one SSE line
)

// tee reads a relayed wait or stream body for the observer: the error
// the run ended with, and the moments worth a poll. It never delays or
// changes a byte the client gets.
type tee struct {
	rc       io.ReadCloser
	x        *exchange
	mode     mode
	parse    bool // the body is not compressed
	cancelOn bool // the client's disconnect cancels the run

	mu  sync.Mutex
	w   *watch // nil until the run id is known
	sse sseParser
	buf bytes.Buffer

	eof   atomic.Bool
	stop  func() bool
	close sync.Once
}

func newTee(resp *http.Response, x *exchange, w *watch, m mode, cancelOn bool) *tee {
	enc := resp.Header.Get("Content-Encoding")
	t := &tee{rc: resp.Body, x: x, w: w, mode: m, parse: enc == "" || enc == "identity", cancelOn: cancelOn}
	t.sse.onEvent = t.event
	if w != nil {
		w.hold(1)
	}
	if cancelOn {
		// The client's connection closing cancels the request context at
		// once; the upstream sees the same close and cancels the run.
		t.stop = context.AfterFunc(x.client, t.gone)
	}
	return t
}

func (t *tee) watch() *watch {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.w
}

// Read implements io.Reader.
func (t *tee) Read(p []byte) (int, error) {
	n, err := t.rc.Read(p)
	if n > 0 && t.parse {
		t.mu.Lock()
		if t.mode == modeStream {
			t.sse.feed(p[:n])
		} else if t.buf.Len()+n <= maxWaitBody {
			t.buf.Write(p[:n])
		}
		t.mu.Unlock()
	}
	if err == io.EOF && !t.eof.Swap(true) {
		t.ended()
	}
	return n, err
}

// Close implements io.Closer.
func (t *tee) Close() error {
	t.close.Do(func() {
		if t.stop != nil {
			t.stop()
		}
		if !t.eof.Load() && t.x.client.Err() != nil {
			t.gone()
		}
		if w := t.watch(); w != nil {
			w.hold(-1)
			w.poke()
		}
	})
	return t.rc.Close()
}

// ended runs when the whole body went through: the run is over or about
// to be, so the observer polls at once.
func (t *tee) ended() {
	w := t.watch()
	if w == nil {
		return
	}
	if t.mode == modeWait {
		t.mu.Lock()
		body := bytes.TrimSpace(t.buf.Bytes())
		t.mu.Unlock()
		if e := waitError(body); e != nil {
			w.hint(e)
		}
	}
	w.poke()
}

// gone runs when the client left before the end.
func (t *tee) gone() {
	if t.eof.Load() || !t.cancelOn {
		return
	}
	if w := t.watch(); w != nil {
		w.intend("interrupt")
		w.poke()
	}
}

// event sees one SSE event. The caller holds t.mu.
func (t *tee) event(name string, data []byte) {
	if t.w == nil && name == "metadata" && t.x != nil && t.x.kind == exCreate && len(t.x.reqs) == 1 {
		// No Content-Location: the first event names the run.
		var m struct {
			RunID    string `json:"run_id"`
			ThreadID string `json:"thread_id"`
		}
		if json.Unmarshal(data, &m) == nil && m.RunID != "" {
			q := t.x.reqs[0]
			tid := t.x.threadID
			if tid == "" {
				tid = m.ThreadID
			}
			t.w = t.x.u.observe(watchSpec{runID: m.RunID, threadID: tid, req: q, header: t.x.header, at: t.x.at})
			t.w.hold(1)
		}
	}
	if t.w == nil {
		return
	}
	if name == "error" {
		var e sender.RunError
		if json.Unmarshal(data, &e) == nil && (e.Error != "" || e.Message != "") {
			ue := unwrapError(e)
			t.w.hint(&ue)
		}
	}
	t.w.streamEvent()
}

// waitError is the error of a wait answer, if it reports one.
func waitError(body []byte) *sender.RunError {
	var b struct {
		Err *sender.RunError `json:"__error__"`
	}
	if len(body) == 0 || body[0] != '{' || json.Unmarshal(body, &b) != nil || b.Err == nil {
		return nil
	}
	e := unwrapError(*b.Err)
	return &e
}

// unwrapError undoes the JS server's double encoding of a wait error,
// whose message is itself {"error": ..., "message": ...}.
func unwrapError(e sender.RunError) sender.RunError {
	var inner sender.RunError
	if strings.HasPrefix(e.Message, "{") && json.Unmarshal([]byte(e.Message), &inner) == nil && inner.Error != "" {
		return inner
	}
	return e
}

// sseParser splits a server-sent event stream into events.
type sseParser struct {
	line    []byte
	long    bool // the current line is over maxSSELine: dropped
	event   string
	data    []byte
	hasData bool
	onEvent func(name string, data []byte)
}

func (p *sseParser) feed(b []byte) {
	for len(b) > 0 {
		i := bytes.IndexByte(b, '\n')
		if i < 0 {
			p.add(b)
			return
		}
		p.add(b[:i])
		p.endLine()
		b = b[i+1:]
	}
}

func (p *sseParser) add(b []byte) {
	if p.long || len(p.line)+len(b) > maxSSELine {
		p.long, p.line = true, p.line[:0]
		return
	}
	p.line = append(p.line, b...)
}

func (p *sseParser) endLine() {
	line := bytes.TrimSuffix(p.line, []byte("\r"))
	long := p.long
	p.line, p.long = p.line[:0], false
	if long {
		return
	}
	if len(line) == 0 {
		if p.event != "" || p.hasData {
			name := p.event
			if name == "" {
				name = "message"
			}
			p.onEvent(name, p.data)
		}
		p.event, p.data, p.hasData = "", p.data[:0], false
		return
	}
	field, value, _ := bytes.Cut(line, []byte(":"))
	value = bytes.TrimPrefix(value, []byte(" "))
	switch string(field) {
	case "event":
		p.event = string(value)
	case "data":
		if p.hasData {
			p.data = append(p.data, '\n')
		}
		p.data = append(p.data, value...)
		p.hasData = true
	}
}
