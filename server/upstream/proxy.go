package upstream

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httputil"
	"strings"
	"syscall"
)

// mode is what a run-creating route answers with.
type mode int

const (
	modeBackground mode = iota
	modeWait
	modeStream
)

// ServeHTTP forwards r to the upstream. Run-creating routes, cancels and
// run reads are looked at on the way; everything else passes untouched.
func (u *Upstream) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if strings.HasPrefix(r.URL.Path, "/thread/") {
		// The documentation's misspelling: the upstream only serves /threads/.
		r = r.Clone(r.Context())
		r.URL.Path = "/threads/" + strings.TrimPrefix(r.URL.Path, "/thread/")
		r.URL.RawPath = ""
	}
	p := strings.Split(strings.Trim(r.URL.Path, "/"), "/")
	switch r.Method {
	case http.MethodPost:
		switch {
		case len(p) >= 3 && len(p) <= 4 && p[0] == "threads" && p[2] == "runs":
			if m, ok := createMode(p[3:]); ok {
				u.serveCreate(w, r, p[1], m)
				return
			}
		case len(p) >= 1 && len(p) <= 2 && p[0] == "runs":
			if m, ok := createMode(p[1:]); ok {
				u.serveCreate(w, r, "", m)
				return
			}
			if len(p) == 2 && p[1] == "batch" {
				u.serveBatch(w, r)
				return
			}
			if len(p) == 2 && p[1] == "cancel" {
				u.serveBulkCancel(w, r)
				return
			}
		case len(p) == 5 && p[0] == "threads" && p[2] == "runs" && p[4] == "cancel":
			u.serveCancel(w, r, p[1], p[3])
			return
		}
	case http.MethodGet:
		switch {
		case len(p) == 1 && p[0] == "info":
			u.forward(w, r, &exchange{kind: exInfo})
			return
		case len(p) == 3 && p[0] == "threads" && p[2] == "runs",
			len(p) == 4 && p[0] == "threads" && p[2] == "runs":
			u.forward(w, r, &exchange{kind: exReadRuns})
			return
		case len(p) == 5 && p[0] == "threads" && p[2] == "runs" && p[4] == "stream",
			len(p) == 3 && p[0] == "runs" && p[2] == "stream":
			if v := r.URL.Query().Get("cancel_on_disconnect"); v == "true" || v == "1" {
				u.forward(w, r, &exchange{kind: exJoinStream, runIDs: []string{p[len(p)-2]}})
				return
			}
		}
	}
	u.forward(w, r, nil)
}

func createMode(rest []string) (mode, bool) {
	switch {
	case len(rest) == 0:
		return modeBackground, true
	case rest[0] == "wait":
		return modeWait, true
	case rest[0] == "stream":
		return modeStream, true
	}
	return 0, false
}

type exchangeKey struct{}

// forward relays r, with x (if any) seeing the response.
func (u *Upstream) forward(w http.ResponseWriter, r *http.Request, x *exchange) {
	if x != nil {
		x.u = u
		x.client = r.Context()
		r = r.WithContext(context.WithValue(r.Context(), exchangeKey{}, x))
	}
	u.proxy.ServeHTTP(w, r)
}

func (u *Upstream) newProxy() *httputil.ReverseProxy {
	return &httputil.ReverseProxy{
		Rewrite: func(pr *httputil.ProxyRequest) {
			pr.SetURL(u.base)
			// Rewrite drops the client's own Forwarded and X-Forwarded-*
			// headers; they are the client's, so they go on unchanged.
			// hooklab adds none of its own.
			for _, h := range []string{"Forwarded", "X-Forwarded-For", "X-Forwarded-Host", "X-Forwarded-Proto"} {
				if v, ok := pr.In.Header[h]; ok {
					pr.Out.Header[h] = v
				}
			}
		},
		Transport:     newTransport(),
		FlushInterval: -1,
		ModifyResponse: func(resp *http.Response) error {
			u.markUp()
			if x, ok := resp.Request.Context().Value(exchangeKey{}).(*exchange); ok {
				return x.response(resp)
			}
			return nil
		},
		ErrorHandler: u.proxyError,
	}
}

// proxyError answers a request the upstream did not answer.
func (u *Upstream) proxyError(w http.ResponseWriter, r *http.Request, err error) {
	if x, ok := r.Context().Value(exchangeKey{}).(*exchange); ok {
		x.failed()
	}
	if r.Context().Err() != nil {
		return // the client went away; nobody reads an answer
	}
	if dialFailed(err) {
		u.markDown(err)
		writeDetail(w, http.StatusBadGateway, "upstream "+u.label+" unreachable: "+errText(err))
		return
	}
	writeDetail(w, http.StatusBadGateway, "upstream "+u.label+" failed to answer: "+errText(err)+
		"; the request reached it, so a run may have been created")
}

// dialFailed reports whether err means no connection could be made, so
// the upstream saw nothing.
func dialFailed(err error) bool {
	var op *net.OpError
	if errors.As(err, &op) && op.Op == "dial" {
		return true
	}
	return errors.Is(err, syscall.ECONNREFUSED)
}

// errText is err without Go's request prefix.
func errText(err error) string {
	var op *net.OpError
	if errors.As(err, &op) && op.Err != nil {
		if errors.Is(op.Err, syscall.ECONNREFUSED) {
			return "connection refused"
		}
		return op.Err.Error()
	}
	return err.Error()
}
