package config

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"regexp"
	"strings"
)

// CORS is the http.cors block of langgraph.json: which web pages on other
// origins may call the LangGraph API routes, and what they may read.
//
// The platform's server answers cross-origin requests like this. Without
// the block, any origin is allowed, with credentials, every method and
// every header, and the responses expose X-Pagination-Total,
// X-Pagination-Next and Content-Location; a preflight may be cached for
// 600 seconds. With the block, its keys are taken as they are and a key
// left out takes the plain default of the CORS layer, not the platform's:
// no origin, only GET, no extra header, no credentials, nothing exposed,
// 600 seconds. So a block that names only allow_origins stops exposing
// Content-Location.
type CORS struct {
	AllowOrigins     []string `json:"allow_origins"`
	AllowOriginRegex string   `json:"allow_origin_regex,omitempty"`
	AllowMethods     []string `json:"allow_methods"`
	AllowHeaders     []string `json:"allow_headers"`
	AllowCredentials bool     `json:"allow_credentials"`
	ExposeHeaders    []string `json:"expose_headers"`
	MaxAge           int      `json:"max_age"`
	// Configured is false when the file has no http.cors block and the
	// platform's defaults apply.
	Configured bool `json:"configured"`
}

// DefaultCORS is the platform's CORS policy for a file without http.cors.
func DefaultCORS() CORS {
	return CORS{
		AllowOrigins: []string{"*"}, AllowMethods: []string{"*"}, AllowHeaders: []string{"*"},
		AllowCredentials: true, MaxAge: 600,
		ExposeHeaders: []string{"x-pagination-total", "x-pagination-next", "content-location"},
	}
}

// knownCORSKeys are the keys of http.cors the platform reads.
func knownCORSKeys() []string {
	return []string{"allow_origins", "allow_methods", "allow_headers", "allow_credentials",
		"allow_origin_regex", "expose_headers", "max_age"}
}

// CORS returns the http.cors block of f, or DefaultCORS when it has none.
// Parse has already refused a block that does not read.
func (f *File) CORS() CORS {
	if f == nil {
		return DefaultCORS()
	}
	c, _, err := parser{file: fileLabel(f.Path)}.cors(f.raw)
	if err != nil {
		return DefaultCORS()
	}
	return c
}

// checkCORS validates http.cors at load and adds its warnings to f.
func (p parser) checkCORS(f *File, doc rawDoc) error {
	_, warnings, err := p.cors(doc)
	f.Warnings = append(f.Warnings, warnings...)
	return err
}

// cors reads http.cors from doc, with precise type errors.
func (p parser) cors(doc rawDoc) (CORS, []string, error) {
	h, ok := decodeObject(doc.vals["http"])
	if !ok {
		return DefaultCORS(), nil, nil // absent, or refused by the http check
	}
	raw, ok := h.vals["cors"]
	if !ok {
		return DefaultCORS(), nil, nil
	}
	obj, ok := decodeObject(raw)
	if !ok {
		return CORS{}, nil, p.errf("http.cors", `use an object, e.g. "cors": {"allow_origins": ["http://localhost:3000"]}`, "must be an object, got %s", got(raw))
	}
	c := CORS{AllowMethods: []string{"GET"}, MaxAge: 600, Configured: true}
	warnings := unknownKeys("http.cors", obj, knownCORSKeys())
	lists := []struct {
		key, example string
		dst          *[]string
	}{
		{"allow_origins", `"allow_origins": ["http://localhost:3000"]`, &c.AllowOrigins},
		{"allow_methods", `"allow_methods": ["GET", "POST"]`, &c.AllowMethods},
		{"allow_headers", `"allow_headers": ["content-type", "x-api-key"]`, &c.AllowHeaders},
		{"expose_headers", `"expose_headers": ["content-location", "x-pagination-total"]`, &c.ExposeHeaders},
	}
	for _, l := range lists {
		if v, ok := obj.vals[l.key]; ok {
			s, err := p.stringList("http.cors."+l.key, v, "use a list of strings, e.g. "+l.example)
			if err != nil {
				return CORS{}, nil, err
			}
			*l.dst = s
		}
	}
	if v, ok := obj.vals["allow_credentials"]; ok {
		b, err := p.boolean("http.cors.allow_credentials", v)
		if err != nil {
			return CORS{}, nil, err
		}
		c.AllowCredentials = *b
	}
	if v, ok := obj.vals["allow_origin_regex"]; ok {
		const fix = `use a pattern string such as "https://.*\\.example\\.com" (no backreferences or lookarounds)`
		if kind(v) != "string" || json.Unmarshal(v, &c.AllowOriginRegex) != nil {
			return CORS{}, nil, p.errf("http.cors.allow_origin_regex", fix, "must be a string, got %s", got(v))
		}
		if _, err := CompileOriginRegex(c.AllowOriginRegex); err != nil {
			return CORS{}, nil, p.errf("http.cors.allow_origin_regex", fix, "cannot be read as a pattern: %v", err)
		}
	}
	if v, ok := obj.vals["max_age"]; ok {
		var n float64
		if kind(v) != "number" || json.Unmarshal(v, &n) != nil || n != math.Trunc(n) || n < 0 || n > math.MaxInt32 {
			return CORS{}, nil, p.errf("http.cors.max_age", `write a whole number of seconds, e.g. "max_age": 600`, "must be a non-negative integer, got %s", got(v))
		}
		c.MaxAge = int(n)
	}
	for _, o := range c.AllowOrigins {
		if fix, ok := originFix(o); !ok {
			hint := "give the scheme and host"
			if fix != "" {
				hint = fmt.Sprintf("write %q", fix)
			}
			warnings = append(warnings, fmt.Sprintf("http.cors.allow_origins: %q never matches: a browser sends its Origin as "+
				"scheme://host[:port], in lower case, with no default port, path or trailing slash (%s)", o, hint))
		}
	}
	if _, ok := obj.vals["expose_headers"]; !ok {
		warnings = append(warnings, "http.cors has no expose_headers, so no response header is exposed: "+
			"a web page cannot read Content-Location or X-Pagination-Total "+
			`(add "expose_headers": ["content-location", "x-pagination-total"])`)
	}
	return c, warnings, nil
}

// originFix reports whether o can equal a browser's Origin header ("*"
// and "null" included), and else what was probably meant ("" when there is
// no guessing). A browser sends scheme://host[:port]: lower case, no
// default port, nothing after the host.
func originFix(o string) (string, bool) {
	if o == "*" || o == "null" {
		return o, true
	}
	scheme, rest, ok := strings.Cut(strings.TrimSpace(o), "://")
	if !ok {
		scheme, rest = "http", strings.TrimSpace(o)
	}
	host := rest
	if i := strings.IndexAny(rest, "/?#"); i >= 0 {
		host = rest[:i]
	}
	if _, after, ok := strings.Cut(host, "@"); ok {
		host = after
	}
	scheme, host = strings.ToLower(scheme), strings.ToLower(host)
	switch {
	case scheme == "https":
		host = strings.TrimSuffix(host, ":443")
	case scheme == "http":
		host = strings.TrimSuffix(host, ":80")
	}
	if host == "" {
		return "", false
	}
	fix := scheme + "://" + host
	return fix, fix == o
}

// CompileOriginRegex compiles allow_origin_regex so that it must match a
// whole origin, as the platform's CORS layer does.
func CompileOriginRegex(pattern string) (*regexp.Regexp, error) {
	if _, err := regexp.Compile(pattern); err != nil {
		return nil, errors.New(strings.TrimPrefix(err.Error(), "error parsing regexp: "))
	}
	return regexp.Compile(`^(?:` + pattern + `)$`)
}
