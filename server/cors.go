package server

import (
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"

	"hooklab/config"
)

// CORS on the LangGraph API routes, as the platform answers a web page on
// another origin (config.CORS says which settings apply):
//
//   - A preflight is an OPTIONS request with Origin and
//     Access-Control-Request-Method. It is answered here, for any path,
//     without reaching a route: the allowed methods ("*" means DELETE, GET,
//     HEAD, OPTIONS, PATCH, POST, PUT), the allowed headers (with "*", the
//     requested ones; otherwise the CORS-safelisted four plus the
//     configured ones), Access-Control-Max-Age, and the origin. An origin,
//     method or header that is not allowed makes it a 400 naming which.
//     A successful preflight is a 204 (the platform's Python server says
//     200 with a body of "OK"; browsers accept either).
//   - Every other request with an Origin gets the headers before its route
//     runs, so errors and SSE streams carry them too: the origin ("*" when
//     any origin is allowed without credentials, else the request's origin
//     when it is allowed, with Vary: Origin), Access-Control-Allow-
//     Credentials when configured, and Access-Control-Expose-Headers. With
//     credentials the origin is always echoed, never "*", which browsers
//     refuse for a credentialed request.
//   - A request without Origin is not a cross-origin request and gets none.

// allMethods is what "*" in allow_methods stands for.
func allMethods() []string {
	return []string{"DELETE", "GET", "HEAD", "OPTIONS", "PATCH", "POST", "PUT"}
}

// safelistedHeaders are always allowed when allow_headers lists names.
func safelistedHeaders() []string {
	return []string{"Accept", "Accept-Language", "Content-Language", "Content-Type"}
}

// corsPolicy is a config.CORS compiled for answering requests.
type corsPolicy struct {
	anyOrigin   bool
	origins     map[string]bool
	regex       *regexp.Regexp
	methods     []string
	anyHeader   bool
	headers     map[string]bool // lowercase
	credentials bool
	// explicit: the preflight names the origin rather than "*".
	explicit bool
	// Header values, rendered once.
	allowMethods, allowHeaders, expose, maxAge string
}

func compileCORS(c config.CORS) *corsPolicy {
	p := &corsPolicy{origins: map[string]bool{}, headers: map[string]bool{}, credentials: c.AllowCredentials,
		maxAge: strconv.Itoa(c.MaxAge), expose: strings.Join(c.ExposeHeaders, ", ")}
	for _, o := range c.AllowOrigins {
		p.anyOrigin = p.anyOrigin || o == "*"
		p.origins[o] = true
	}
	if c.AllowOriginRegex != "" {
		// Parse has refused a pattern that does not compile.
		p.regex, _ = config.CompileOriginRegex(c.AllowOriginRegex)
	}
	p.methods = c.AllowMethods
	if slices.Contains(c.AllowMethods, "*") {
		p.methods = allMethods()
	}
	p.allowMethods = strings.Join(p.methods, ", ")
	p.anyHeader = slices.Contains(c.AllowHeaders, "*")
	names := append(safelistedHeaders(), c.AllowHeaders...)
	slices.Sort(names)
	names = slices.Compact(names)
	for _, h := range names {
		p.headers[strings.ToLower(h)] = true
	}
	if !p.anyHeader {
		p.allowHeaders = strings.Join(names, ", ")
	}
	p.explicit = !p.anyOrigin || p.credentials
	return p
}

func (p *corsPolicy) allowed(origin string) bool {
	return p.anyOrigin || p.origins[origin] || p.regex != nil && p.regex.MatchString(origin)
}

// preflight answers an OPTIONS preflight.
func (p *corsPolicy) preflight(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	origin := r.Header.Get("Origin")
	if p.explicit {
		h.Add("Vary", "Origin")
	} else {
		h.Set("Access-Control-Allow-Origin", "*")
	}
	h.Set("Access-Control-Allow-Methods", p.allowMethods)
	h.Set("Access-Control-Max-Age", p.maxAge)
	if p.allowHeaders != "" {
		h.Set("Access-Control-Allow-Headers", p.allowHeaders)
	}
	if p.credentials {
		h.Set("Access-Control-Allow-Credentials", "true")
	}
	var failures []string
	if p.allowed(origin) {
		if p.explicit {
			h.Set("Access-Control-Allow-Origin", origin)
		}
		// A public page reaching a private address asks first (Chrome's
		// private network access); the platform's dev server agrees.
		if strings.EqualFold(r.Header.Get("Access-Control-Request-Private-Network"), "true") {
			h.Set("Access-Control-Allow-Private-Network", "true")
		}
	} else {
		failures = append(failures, "origin")
	}
	if !slices.Contains(p.methods, r.Header.Get("Access-Control-Request-Method")) {
		failures = append(failures, "method")
	}
	if requested, ok := r.Header["Access-Control-Request-Headers"]; ok {
		if p.anyHeader {
			h.Set("Access-Control-Allow-Headers", strings.Join(requested, ","))
		} else {
			for _, name := range strings.Split(strings.Join(requested, ","), ",") {
				if !p.headers[strings.ToLower(strings.TrimSpace(name))] {
					failures = append(failures, "headers")
					break
				}
			}
		}
	}
	if len(failures) > 0 {
		writeError(w, errorf(http.StatusBadRequest, "Disallowed CORS %s (see http.cors in langgraph.json)", strings.Join(failures, ", ")))
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// simple adds the headers of an answer to a cross-origin request.
func (p *corsPolicy) simple(h http.Header, origin string) {
	if p.anyOrigin && !p.credentials {
		h.Set("Access-Control-Allow-Origin", "*")
	} else if p.allowed(origin) {
		h.Set("Access-Control-Allow-Origin", origin)
		h.Add("Vary", "Origin")
	}
	if p.credentials {
		h.Set("Access-Control-Allow-Credentials", "true")
	}
	if p.expose != "" {
		h.Set("Access-Control-Expose-Headers", p.expose)
	}
}

// corsCache compiles the policy of the config in force once per config:
// a live edit of langgraph.json swaps in a new *config.File.
type corsCache struct {
	last atomic.Pointer[corsEntry]
}

type corsEntry struct {
	file   *config.File
	policy *corsPolicy
}

func (c *corsCache) policy(f *config.File) *corsPolicy {
	if e := c.last.Load(); e != nil && e.file == f {
		return e.policy
	}
	e := &corsEntry{file: f, policy: compileCORS(f.CORS())}
	c.last.Store(e)
	return e.policy
}

// cors applies the CORS policy in force to r. It reports true when it has
// answered (a preflight); otherwise the headers are set and r goes on.
func (s *Server) cors(cache *corsCache, w http.ResponseWriter, r *http.Request) bool {
	origin := r.Header.Get("Origin")
	if origin == "" {
		return false
	}
	p := cache.policy(s.Runtime().File)
	if _, ok := r.Header["Access-Control-Request-Method"]; ok && r.Method == http.MethodOptions {
		p.preflight(w, r)
		return true
	}
	p.simple(w.Header(), origin)
	return false
}
