package upstream

import (
	"bytes"
	"encoding/json"
)

// restore is what hooklab took out of a run's request, put back into the
// Run objects relayed to the client and into the webhook payload, so both
// show what the platform would.
type restore struct {
	webhook   string
	temporary bool // hooklab forced on_completion keep on a stateless run
}

// maxRestores bounds the runs whose Run objects hooklab still patches.
const maxRestores = 10000

// restoreLog remembers the latest maxRestores runs. The caller holds u.mu.
type restoreLog struct {
	m     map[string]restore
	order []string
}

func (l *restoreLog) put(runID string, r restore) {
	if _, ok := l.m[runID]; !ok {
		l.order = append(l.order, runID)
	}
	l.m[runID] = r
	if len(l.order) > maxRestores {
		delete(l.m, l.order[0])
		l.order = l.order[1:]
	}
}

func (u *Upstream) restoreOf(runID string) (restore, bool) {
	u.mu.Lock()
	defer u.mu.Unlock()
	r, ok := u.restores.m[runID]
	return r, ok
}

// restoreRun patches kwargs in one Run object, if hooklab rewrote its run.
func (u *Upstream) restoreRun(b []byte, runID string) []byte {
	r, ok := u.restoreOf(runID)
	if !ok {
		return b
	}
	o, err := parseObject(b)
	if err != nil {
		return b
	}
	i := o.find("kwargs")
	if i < 0 {
		return b
	}
	m := o.members[i]
	kw := patchKwargs(b[m.valStart:m.valEnd], r)
	return splice(b, m.valStart, m.valEnd, kw)
}

// patchKwargs sets kwargs.webhook (where the upstream itself would put
// it: just before temporary) and, when hooklab forced keep,
// kwargs.temporary true.
func patchKwargs(kw []byte, r restore) []byte {
	ko, err := parseObject(kw)
	if err != nil {
		return kw
	}
	kw = ko.withBefore("webhook", jsonString(r.webhook), "temporary")
	if r.temporary {
		if ko, err = parseObject(kw); err == nil {
			kw = ko.with("temporary", []byte("true"))
		}
	}
	return kw
}

// restoreRuns patches a relayed Run object or list of Run objects.
func (u *Upstream) restoreRuns(b []byte) []byte {
	t := bytes.TrimLeft(b, " \t\r\n")
	if len(t) == 0 {
		return b
	}
	if t[0] == '{' {
		var id runIdent
		if json.Unmarshal(b, &id) != nil {
			return b
		}
		return u.restoreRun(b, id.RunID)
	}
	elems, err := arrayElements(b)
	if err != nil {
		return b
	}
	repl := make([][]byte, len(elems))
	for i, e := range elems {
		var id runIdent
		if json.Unmarshal(b[e[0]:e[1]], &id) == nil && id.RunID != "" {
			if nb := u.restoreRun(b[e[0]:e[1]], id.RunID); !bytes.Equal(nb, b[e[0]:e[1]]) {
				repl[i] = nb
			}
		}
	}
	return replaceElements(b, elems, repl)
}

// servesCrons sets flags.crons true in an /info answer: hooklab serves the
// cron routes itself, whatever the upstream can do. An answer without a
// flags object is left as it is.
func servesCrons(b []byte) []byte {
	o, err := parseObject(b)
	if err != nil {
		return b
	}
	i := o.find("flags")
	if i < 0 {
		return b
	}
	m := o.members[i]
	fo, err := parseObject(b[m.valStart:m.valEnd])
	if err != nil {
		return b
	}
	return splice(b, m.valStart, m.valEnd, fo.with("crons", []byte("true")))
}
