package config

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strings"
	"sync"
	"time"
)

// CheckOptions are the settings of Explain.
type CheckOptions struct {
	// Resolver looks up host names; nil means net.DefaultResolver. Wrap
	// it in a ResolveCache to resolve each name once per test session.
	Resolver Resolver
	// Offline skips resolving: the address check of a host name is not
	// run (the decision says so); IP literals are still judged.
	Offline bool
}

// Failure is one failing check of an explained decision, with the
// langgraph.json setting behind it, so a refusal by the address check of
// a loopback host names disable_loopback and does not read as if the
// loopback check (which only judges relative URLs) had passed it.
type Failure struct {
	Rule    string `json:"rule"`
	Message string `json:"message"`
	Hint    string `json:"hint,omitempty"`
	// Setting is the key that refused, e.g. webhooks.url.disable_loopback;
	// "" when no setting can allow the URL (no host, a metadata address).
	Setting string `json:"setting,omitempty"`
	Value   any    `json:"value"`
	Source  string `json:"source"`
	Detail  string `json:"detail,omitempty"`
	// Because says in one phrase why: the setting's value and source, or
	// why no setting applies.
	Because string `json:"because"`
	// Reported marks the failure the platform reports: the first.
	Reported bool `json:"reported"`
}

// newFailure builds the Failure of a failing check.
func newFailure(rule string, value any, source, detail, msg, hint string, reported bool) Failure {
	f := Failure{Rule: rule, Message: msg, Hint: hint, Value: value, Source: source, Detail: detail, Reported: reported}
	f.Setting = settingKey(rule, msg)
	switch {
	case f.Setting != "":
		f.Because = fmt.Sprintf("%s is %s (%s)", f.Setting, formatValue(value), source)
		if rule == RuleAddress && f.Setting == "webhooks.url.disable_loopback" {
			f.Because += "; the loopback check judges relative URLs only, so an absolute URL's loopback host is refused here"
		}
	case rule == RuleAddress && strings.HasPrefix(msg, "Webhook host blocked: cloud metadata"):
		f.Because = "cloud metadata addresses are always blocked; no setting allows them"
	case rule == RuleAddress:
		f.Because = "the host name must resolve when the run is created"
	case rule == RuleHTTPS:
		f.Because = "only http and https URLs can be sent"
	case rule == RulePort:
		f.Because = "a port is a number from 1 to 65535"
	default:
		f.Because = "a webhook URL needs a host name"
	}
	return f
}

// settingKey names the langgraph.json key whose value made rule fail
// with msg, or "" when no setting could allow it.
func settingKey(rule, msg string) string {
	const url = "webhooks.url."
	switch rule {
	case RuleLength:
		return url + "max_url_length"
	case RuleLoopback:
		return url + "disable_loopback"
	case RuleHTTPS:
		if msg == "Webhook must use https" {
			return url + "require_https"
		}
	case RulePort:
		if strings.HasPrefix(msg, "Webhook port ") {
			return url + "allowed_ports"
		}
	case RuleDomain:
		return url + "allowed_domains"
	case RuleAddress:
		reason, ok := strings.CutPrefix(msg, "Webhook host blocked: ")
		if name := (Policy{}).addressSettingName(reason); ok && name != "" {
			return url + name
		}
	}
	return ""
}

// needsLookup reports whether the address check of host has to resolve
// it: not an IP literal in any spelling, nor a localhost name refused
// without asking DNS.
func (p Policy) needsLookup(host string) bool {
	if _, err := netip.ParseAddr(host); err == nil {
		return false
	}
	if _, ok := inetAton(host); ok {
		return false
	}
	return !(p.DisableLoopback.Value && (host == "localhost" || strings.HasSuffix(host, ".localhost")))
}

// ResolveCache is a Resolver that asks the one it wraps once per host
// name and reuses the answer, a failure included, for a while: the URL
// tester decides a URL again at every keystroke and must not send a DNS
// query each time. Answers cut short by the caller's context are not kept.
// It is safe for concurrent use.
type ResolveCache struct {
	r   Resolver
	ttl time.Duration
	now func() time.Time

	mu sync.Mutex
	m  map[string]resolved
}

// resolved is one cached answer.
type resolved struct {
	addrs []netip.Addr
	err   error
	at    time.Time
}

// maxResolveCache bounds the entries kept; a full cache starts afresh.
const maxResolveCache = 1024

// NewResolveCache wraps r (nil: net.DefaultResolver). ttl <= 0 keeps each
// answer for the cache's lifetime: one cache per test run.
func NewResolveCache(r Resolver, ttl time.Duration) *ResolveCache {
	if r == nil {
		r = net.DefaultResolver
	}
	return &ResolveCache{r: r, ttl: ttl, now: time.Now, m: map[string]resolved{}}
}

// LookupNetIP implements Resolver.
func (c *ResolveCache) LookupNetIP(ctx context.Context, network, host string) ([]netip.Addr, error) {
	key := network + " " + host
	c.mu.Lock()
	e, ok := c.m[key]
	c.mu.Unlock()
	if ok && (c.ttl <= 0 || c.now().Sub(e.at) < c.ttl) {
		return append([]netip.Addr(nil), e.addrs...), e.err
	}
	addrs, err := c.r.LookupNetIP(ctx, network, host)
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) || ctx.Err() != nil {
		return addrs, err
	}
	c.mu.Lock()
	if len(c.m) >= maxResolveCache {
		c.m = map[string]resolved{}
	}
	c.m[key] = resolved{addrs: append([]netip.Addr(nil), addrs...), err: err, at: c.now()}
	c.mu.Unlock()
	return addrs, err
}
