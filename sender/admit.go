package sender

import (
	"context"
	"net/netip"
	"net/url"
	"reflect"
	"strings"
	"sync"

	"hooklab/config"
)

// decisionCacheSize bounds the decisions remembered; past it they are
// forgotten all at once (a new config forgets them too).
const decisionCacheSize = 1024

// decisions remembers the URL policy's decisions by URL, with the config
// they were made under, so the check just before sending need not be
// recorded a second time when it cannot have changed.
type decisions struct {
	mu sync.Mutex
	m  map[string]cachedDecision
}

type cachedDecision struct {
	rt *config.Runtime
	d  config.Decision
}

func (c *decisions) get(raw string, rt *config.Runtime) (config.Decision, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.m[raw]
	if !ok || e.rt != rt {
		return config.Decision{}, false
	}
	return e.d, true
}

func (c *decisions) put(raw string, rt *config.Runtime, d config.Decision) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil || len(c.m) >= decisionCacheSize {
		c.m = make(map[string]cachedDecision)
	}
	c.m[raw] = cachedDecision{rt, d}
}

// Admit checks raw against the URL policy in force, as a run or a cron is
// created, and remembers the decision for the deliveries to that URL.
func (s *Sender) Admit(ctx context.Context, raw string) config.Decision {
	rt := s.runtime()
	d := rt.Policy.Check(ctx, raw, s.o.Resolver)
	if ctx.Err() == nil {
		s.decided.put(raw, rt, d)
	}
	return d
}

// sendCheck is the URL policy just before sending: the decision, and
// whether it is new (to be recorded as an event). Under the config a
// remembered decision was made with, a URL whose decision depends on
// nothing else (a relative URL, or a host that is an IP address: nothing
// to resolve) gets the same decision again, without checking; any other
// is checked, and is new only if it differs.
func (s *Sender) sendCheck(ctx context.Context, raw string) (config.Decision, bool) {
	rt := s.runtime()
	prev, ok := s.decided.get(raw, rt)
	if ok && fixedDecision(raw) {
		return prev, false
	}
	d := rt.Policy.Check(ctx, raw, s.o.Resolver)
	if ctx.Err() == nil {
		s.decided.put(raw, rt, d)
	}
	return d, !ok || !reflect.DeepEqual(prev, d)
}

// fixedDecision reports whether the policy's decision on raw depends on
// the config alone: a relative URL, or an absolute one whose host is an IP
// address (or that does not parse, which no lookup changes).
func fixedDecision(raw string) bool {
	if strings.HasPrefix(raw, "/") {
		return true
	}
	u, err := url.Parse(raw)
	if err != nil {
		return true
	}
	_, err = netip.ParseAddr(strings.Trim(u.Hostname(), "[]"))
	return err == nil
}
