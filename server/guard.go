package server

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"mime"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"sync/atomic"
	"time"
)

// The guards in front of every route, on the network side.
//
// A web page the developer visits runs in a browser on the same machine
// as hooklab, so it can send requests to 127.0.0.1. Two things keep it out
// of what it should not reach:
//
//   - The Host header must name this hooklab: an IP address, localhost or
//     a name under .localhost, the host of the listen address, or a name
//     given with --allow-host. A page on a domain whose DNS answer later
//     changes to 127.0.0.1 (DNS rebinding) sends its own name, and gets a
//     403 on every route. An IP address cannot be rebound, so any is fine.
//   - hooklab's own API (/hooklab/) holds every payload and can change and
//     save langgraph.json. A request whose Origin is not hooklab's own, or
//     that a browser marks as cross-site or same-site (Sec-Fetch-Site),
//     gets a 403; a state-changing request must say Content-Type:
//     application/json, which a page can only send to another origin after
//     a preflight that it cannot pass. Nothing reaches the route, so
//     nothing changes and nothing is recorded.
//
// When hooklab listens beyond loopback, its own API also needs a token
// (Authorization: Bearer TOKEN). The sink (/hooklab/sink/) is a receiver:
// webhook senders reach it without a token and with any content type, but
// a web page on another origin is refused there too. The LangGraph routes
// stay open to web pages as the platform's are; http.cors decides which.
//
// The in-process sender dispatches relative webhook URLs into LocalHandler
// (its requests carry Host hooklab.local and never cross the network):
// it reaches the LangGraph routes and the sink, never the rest of /hooklab/,
// since a relative webhook URL can come from any run a web page creates.

// sinkPrefix is the built-in receiver's path.
const sinkPrefix = "/hooklab/sink/"

// ownPath reports a path of hooklab's own API, in any letter case.
func ownPath(p string) bool {
	p = strings.ToLower(p)
	return p == "/hooklab" || strings.HasPrefix(p, "/hooklab/")
}

// protect wraps the routes with the guards and with CORS on the LangGraph
// routes (unless Options.ForwardsCORS hands a request's CORS to an upstream).
func (s *Server) protect(next http.Handler) http.Handler {
	var cache corsCache
	hosts := newHostList(s.o.AllowHosts)
	var lastLog atomic.Int64
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		own := ownPath(r.URL.Path)
		corsOn := !own && (s.o.ForwardsCORS == nil || !s.o.ForwardsCORS(r))
		err := hosts.check(r.Host)
		if err == nil && corsOn && s.cors(&cache, w, r) {
			return
		}
		if err == nil && own {
			err = s.checkOwn(r)
		}
		if err == nil {
			next.ServeHTTP(w, r)
			return
		}
		if corsOn && w.Header().Get("Access-Control-Allow-Origin") == "" {
			// A page on an allowed origin may read why it was refused.
			if origin := r.Header.Get("Origin"); origin != "" {
				cache.policy(s.Runtime().File).simple(w.Header(), origin)
			}
		}
		// At most one line a second, so a page that loops cannot fill the log.
		if now := time.Now().UnixNano(); now-lastLog.Load() > int64(time.Second) {
			lastLog.Store(now)
			s.o.Logger.Warn("request refused", "method", r.Method, "path", r.URL.Path,
				"host", r.Host, "origin", r.Header.Get("Origin"), "reason", err.Error())
		}
		if statusOf(err) == http.StatusUnauthorized {
			w.Header().Set("WWW-Authenticate", `Bearer realm="hooklab"`)
		}
		writeError(w, err)
	})
}

// checkOwn applies the rules of hooklab's own API to r.
func (s *Server) checkOwn(r *http.Request) error {
	const own = "hooklab's own API"
	if err := notFromPage(r, own, "it holds every payload and the config, so it serves hooklab's CLI and "+
		"same-origin requests only; the LangGraph API routes are the ones open to web pages (see http.cors in langgraph.json)"); err != nil {
		return err
	}
	if strings.HasPrefix(r.URL.Path, sinkPrefix) {
		return nil
	}
	if s.o.Token != "" && !bearer(r, s.o.Token) {
		what := "needs the token"
		if r.Header.Get("Authorization") != "" {
			what = "was sent a token that is not the one"
		}
		return errorf(http.StatusUnauthorized, "%s %s: hooklab's own API %s hooklab printed at start (or was "+
			"given with --token): send Authorization: Bearer TOKEN (hooklab's CLI: --token or HOOKLAB_TOKEN)",
			r.Method, r.URL.Path, what)
	}
	switch r.Method {
	case http.MethodGet, http.MethodHead, http.MethodOptions:
		return nil
	}
	return jsonOnly(r, own)
}

// notFromPage refuses a request a web page on another origin sent (its
// Origin, or the browser's Sec-Fetch-Site) to what, saying why.
func notFromPage(r *http.Request, what, why string) error {
	origins := r.Header.Values("Origin")
	if len(origins) > 1 || len(origins) == 1 && !sameOrigin(origins[0], r.Host) {
		return errorf(http.StatusForbidden, "a web page at %s may not use %s (%s %s): %s",
			strings.Join(origins, ", "), what, r.Method, r.URL.Path, why)
	}
	if site := r.Header.Get("Sec-Fetch-Site"); site == "cross-site" || site == "same-site" {
		return errorf(http.StatusForbidden, "a %s request from a web page may not use %s (%s %s): %s",
			site, what, r.Method, r.URL.Path, why)
	}
	return nil
}

// jsonOnly refuses a body that is not declared JSON, so that no "simple"
// request (a form, text/plain), which a page may send without asking,
// reaches what.
func jsonOnly(r *http.Request, what string) error {
	if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || mt != "application/json" {
		return errorf(http.StatusUnsupportedMediaType, "%s %s: send the body as JSON with Content-Type: application/json "+
			"(got %q); %s takes nothing a web form could send", r.Method, r.URL.Path, r.Header.Get("Content-Type"), what)
	}
	return nil
}

// sameOrigin reports whether origin is http(s)://host, host being the
// request's Host (already checked to be this hooklab's).
func sameOrigin(origin, host string) bool {
	u, err := url.Parse(origin)
	if err != nil || u.Host == "" || u.Path != "" || u.User != nil || (u.Scheme != "http" && u.Scheme != "https") {
		return false
	}
	return strings.EqualFold(u.Host, host)
}

// bearer reports whether r carries Authorization: Bearer token.
func bearer(r *http.Request, token string) bool {
	scheme, got, ok := strings.Cut(r.Header.Get("Authorization"), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return false
	}
	return subtle.ConstantTimeCompare([]byte(strings.TrimSpace(got)), []byte(token)) == 1
}

// hostList is the set of names a Host header may carry.
type hostList struct {
	exact  map[string]bool
	suffix []string // ".example.com" from --allow-host .example.com
}

func newHostList(names []string) hostList {
	l := hostList{exact: map[string]bool{}}
	for _, n := range names {
		n = normalHost(n)
		if n == "" {
			continue
		}
		if strings.HasPrefix(n, ".") {
			l.suffix = append(l.suffix, n)
			l.exact[n[1:]] = true
		} else {
			l.exact[n] = true
		}
	}
	return l
}

// normalHost lowercases a host name and drops a final dot.
func normalHost(h string) string {
	return strings.TrimSuffix(strings.ToLower(strings.TrimSpace(h)), ".")
}

// check returns a 403 unless hostport names this hooklab.
func (l hostList) check(hostport string) error {
	if l.allows(hostport) {
		return nil
	}
	name := hostport
	if h, _, err := net.SplitHostPort(hostport); err == nil {
		name = h
	}
	return errorf(http.StatusForbidden, "Host %q is not this hooklab's: it answers to its listen address, IP addresses, "+
		"localhost and names given with --allow-host, so that a web page cannot reach it through a DNS name that "+
		"points at this machine; if you reach hooklab by this name, start it with --allow-host %s", hostport, name)
}

func (l hostList) allows(hostport string) bool {
	if hostport == "" {
		return true // HTTP/1.0 without Host: no browser sends that
	}
	host := hostport
	if h, _, err := net.SplitHostPort(hostport); err == nil {
		host = h
	}
	host = strings.TrimSuffix(strings.TrimPrefix(host, "["), "]")
	if _, err := netip.ParseAddr(host); err == nil {
		return true
	}
	host = normalHost(host)
	if host == "localhost" || strings.HasSuffix(host, ".localhost") || l.exact[host] {
		return true
	}
	for _, s := range l.suffix {
		if strings.HasSuffix(host, s) {
			return true
		}
	}
	return false
}

// localOnly is the handler relative webhook URLs are dispatched into.
func localOnly(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if ownPath(r.URL.Path) && !strings.HasPrefix(r.URL.Path, sinkPrefix) {
			writeError(w, errorf(http.StatusForbidden, "a relative webhook URL reaches the LangGraph routes and %s, "+
				"not the rest of hooklab's own API (%s)", sinkPrefix, r.URL.Path))
			return
		}
		next.ServeHTTP(w, r)
	})
}

// exposed reports a listener other web hosts can reach: not on loopback.
func exposed(addr net.Addr) bool {
	tcp, ok := addr.(*net.TCPAddr)
	return !ok || !tcp.IP.IsLoopback()
}

// listenHost is the host part of a listen address ("" for ":2024").
func listenHost(addr string) string {
	h, _, err := net.SplitHostPort(addr)
	if err != nil {
		return ""
	}
	return h
}

// newToken returns a fresh random token for hooklab's own API.
func newToken() string {
	b := make([]byte, 24)
	rand.Read(b) // never fails (crypto/rand)
	return base64.RawURLEncoding.EncodeToString(b)
}
