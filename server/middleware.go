package server

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"time"

	"hooklab/server/engine"
	"hooklab/server/hub"
)

// maxRecordedBody is how much of a request body an event keeps.
const maxRecordedBody = 64 << 10

// recorder wraps a ResponseWriter to learn the status and error detail of an
// answer while keeping Flusher and Hijacker working for SSE and websockets.
type recorder struct {
	http.ResponseWriter
	status int
	detail string
	runID  string
}

// WriteHeader implements http.ResponseWriter.
func (r *recorder) WriteHeader(code int) {
	if r.status == 0 {
		r.status = code
	}
	r.ResponseWriter.WriteHeader(code)
}

// Write implements http.ResponseWriter.
func (r *recorder) Write(b []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	return r.ResponseWriter.Write(b)
}

// Flush implements http.Flusher, so SSE survives the middleware.
func (r *recorder) Flush() {
	if f, ok := r.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// Hijack implements http.Hijacker, so websocket upgrades survive the middleware.
func (r *recorder) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	if h, ok := r.ResponseWriter.(http.Hijacker); ok {
		return h.Hijack()
	}
	return nil, nil, errors.New("hijacking not supported")
}

// Unwrap lets http.ResponseController reach the connection.
func (r *recorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }
func (r *recorder) setDetail(d string)          { r.detail = d }
func (r *recorder) setRunID(id string)          { r.runID = id }

// teeBody keeps the first maxRecordedBody bytes read from a request body.
type teeBody struct {
	io.ReadCloser
	buf bytes.Buffer
}

// Read implements io.Reader.
func (t *teeBody) Read(p []byte) (int, error) {
	n, err := t.ReadCloser.Read(p)
	if room := maxRecordedBody - t.buf.Len(); room > 0 && n > 0 {
		t.buf.Write(p[:min(n, room)])
	}
	return n, err
}

// observe limits body size, maps the /thread/ alias, recovers panics and
// records every API request as an event.
func (s *Server) observe(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		// A shallow copy: the body swapped in below must not replace the
		// one net/http finishes the request with (its own handling of an
		// unread body, or of Expect: 100-continue, depends on the type).
		r = r.WithContext(r.Context())
		orig := r.Body
		handler := next
		if r.ContentLength > s.o.MaxBody {
			// Refuse before reading a byte into memory.
			r.Body = http.NoBody
			handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				writeError(w, errorf(http.StatusRequestEntityTooLarge,
					"request body: %d bytes is over the %d byte limit; send less, or start hooklab with a larger --max-body", r.ContentLength, s.o.MaxBody))
			})
		} else {
			r.Body = http.MaxBytesReader(w, r.Body, s.o.MaxBody)
		}
		var nonstandard string
		if strings.HasPrefix(r.URL.Path, "/thread/") {
			nonstandard = "/thread/ is the documentation's misspelling; the platform serves /threads/"
			r.URL.Path = "/threads/" + strings.TrimPrefix(r.URL.Path, "/thread/")
			r.URL.RawPath = ""
		}
		// In upstream mode a forwarded path goes as it came.
		if p := canonPath(r.URL.Path); p != r.URL.Path && r.URL.RawPath == "" && !strings.HasPrefix(p, "/hooklab/sink/") && (s.up == nil || servedHere(p)) {
			r.URL.Path, r.URL.RawPath = p, ""
		}
		if strings.HasPrefix(r.URL.Path, "/hooklab/") {
			// hooklab's own API is not recorded as events (the dashboard
			// and the feed would report their own polling), but it gets
			// the same limits and the same panic recovery.
			rec := &recorder{ResponseWriter: w}
			defer func() {
				if rec.status == http.StatusRequestEntityTooLarge {
					drain(w, r, orig, s.o.MaxBody)
				}
				s.recoverHandler(rec, r, recover())
			}()
			handler.ServeHTTP(rec, r)
			return
		}
		tee := &teeBody{ReadCloser: r.Body}
		r.Body = tee
		rec := &recorder{ResponseWriter: w}
		defer func() {
			if rec.status == http.StatusRequestEntityTooLarge {
				drain(w, r, orig, s.o.MaxBody)
			}
			s.recoverHandler(rec, r, recover())
			info := hub.RequestInfo{
				Method: r.Method, Path: r.URL.Path, Query: r.URL.RawQuery,
				Status: rec.status, DurationMS: float64(time.Since(start).Microseconds()) / 1000,
				Detail: rec.detail, RunID: rec.runID, NonStandard: nonstandard,
			}
			if b := tee.buf.Bytes(); len(b) > 0 {
				// Compact validates too: a body that is not JSON is left out.
				var c bytes.Buffer
				c.Grow(len(b))
				if json.Compact(&c, b) == nil {
					info.Body = c.Bytes()
				}
			}
			s.emit(hub.KindRequest, info)
		}()
		handler.ServeHTTP(rec, r)
	})
}

// recoverHandler turns a handler's panic p (nil: none) into a JSON 500,
// logged, instead of a dropped connection. http.ErrAbortHandler is Go's
// way to abort a response on purpose, and goes on.
func (s *Server) recoverHandler(rec *recorder, r *http.Request, p any) {
	if p == nil {
		return
	}
	if p == http.ErrAbortHandler {
		panic(p)
	}
	s.o.Logger.Error("handler panic", "path", r.URL.Path, "panic", p)
	if rec.status == 0 {
		writeError(rec, errorf(http.StatusInternalServerError, "hooklab hit an internal error serving %s; this is a bug, please report it", r.URL.Path))
	}
}

// Bounds on draining an oversized body.
const (
	drainLimit = 1 << 30
	drainTime  = 30 * time.Second
)

// drain reads what is left of a refused request body, bounded in bytes and
// time, so that a client which writes its whole body before reading (as
// most do without Expect: 100-continue) sees the 413 instead of a reset.
func drain(w http.ResponseWriter, r *http.Request, body io.ReadCloser, maxBody int64) {
	if r.ContentLength > maxBody && strings.EqualFold(r.Header.Get("Expect"), "100-continue") {
		// Refused from its Content-Length before a byte was read, so Go
		// never sent "100 Continue" and the client still holds its body
		// back: waiting for it would only delay the 413. (A body refused
		// while being read got its "100 Continue" and is on its way.)
		return
	}
	http.NewResponseController(w).SetReadDeadline(time.Now().Add(drainTime))
	io.CopyN(io.Discard, body, drainLimit)
}

// noteRun tells the request middleware which run a request created.
func noteRun(w http.ResponseWriter, runID string) {
	if rw, ok := w.(interface{ setRunID(string) }); ok {
		rw.setRunID(runID)
	}
}

// canonPath lowercases the UUID segments of an API path: the platform
// parses ids as UUIDs, so "D84E…" and "d84e…" name the same object.
func canonPath(p string) string {
	if !strings.ContainsAny(p, "ABCDEF") {
		return p
	}
	segs := strings.Split(p, "/")
	for i, s := range segs {
		segs[i] = engine.CanonID(s)
	}
	return strings.Join(segs, "/")
}
