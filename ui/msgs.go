package ui

import (
	"time"

	"hooklab/config"
	"hooklab/sender"
	"hooklab/server/hub"
)

// Every message the dashboard sends itself. Commands capture values, never
// the model, and report back with one of these.

// eventsMsg is one drain of the subscription: a burst costs one render.
type eventsMsg struct {
	events []hub.Event
	lagged bool // the hub dropped events for us: resync from History
}

// subscribedMsg carries the subscription Init asked for.
type subscribedMsg struct{ sub *hub.Subscription }

// feedClosedMsg says the subscription ended (hub closed, remote gone).
type feedClosedMsg struct{}

// historyMsg carries events read from the store: the start-up backfill or a
// resync after lag.
type historyMsg struct {
	events []hub.Event
	resync bool
	err    error
}

// countsMsg is the delivery outcomes stored before the loaded window, for
// the header counts.
type countsMsg struct {
	delivered, failed, refused int
	err                        error
}

// deliveryMsg is a full delivery fetched for the detail view.
type deliveryMsg struct {
	id  string
	d   sender.Delivery
	err error
}

// eventMsg is one event read back from the store for the detail view.
type eventMsg struct {
	key rowKey
	e   hub.Event
	err error
}

// replayDoneMsg is the outcome of a replay, with the delivery it replayed.
type replayDoneMsg struct {
	orig sender.Delivery
	d    sender.Delivery
	err  error
}

// diffMsg is a replay and its original, read back to show their diff.
type diffMsg struct {
	id      string
	orig, d sender.Delivery
	err     error
}

// editReadyMsg says the edit document (doc) was written to path and
// $EDITOR may run. bad is the broken text of the previous round, when the
// document went back to the editor because it was not JSON.
type editReadyMsg struct {
	path     string
	orig     sender.Delivery
	doc, bad []byte
	err      error
}

// editDoneMsg says $EDITOR exited.
type editDoneMsg struct {
	ready editReadyMsg
	err   error
}

// urlCheckedMsg is a URL tester decision; seq drops stale answers.
// offline says it was tested without resolving.
type urlCheckedMsg struct {
	seq     int
	offline bool
	d       config.Decision
}

// urlDueMsg says the tested URL (at version seq) stayed unchanged for the
// debounce: time to resolve its host name.
type urlDueMsg struct{ seq int }

// loosenedMsg is how the config f, about to be saved, is looser than the
// file's.
type loosenedMsg struct {
	f   *config.File
	ls  []config.Loosening
	err error
}

// configReloadedMsg is the outcome of ReloadConfig.
type configReloadedMsg struct {
	rt  *config.Runtime
	err error
}

// upstreamLogMsg is the upstream command's output, read for the log view.
type upstreamLogMsg struct {
	lines []string
	err   error
}

// logTickMsg asks the open log view to read the output again; id stops
// the loops of views since closed.
type logTickMsg struct{ id int }

// configSavedMsg is the outcome of ApplyConfig.
type configSavedMsg struct {
	save bool
	err  error
}

// resolveDueMsg says the config editor's headers (at version ver) have
// stayed unchanged for the debounce: time to ask the backend.
type resolveDueMsg struct{ ver int }

// configResolvedMsg is the backend's resolution of the config editor's
// header templates (at version ver): the whole file's refusal, if any,
// and each header's preview ("→ masked" or "✗ why"). failed says the
// backend could not be asked at all.
type configResolvedMsg struct {
	ver      int
	err      *config.Error
	failed   string
	previews map[config.Header]string
}

// cronsMsg is the cron list.
type cronsMsg struct {
	crons []Cron
	err   error
}

// cronFiredMsg is the outcome of fire-now.
type cronFiredMsg struct {
	id, runID string
	err       error
}

// cronChangedMsg is the outcome of deleting, pausing or resuming a cron.
type cronChangedMsg struct {
	id, action string
	err        error
}

// statusMsg shows text in the status bar for ttl.
type statusMsg struct {
	text string
	kind statusKind
	ttl  time.Duration
}

// clearStatusMsg clears the status bar if it still shows message id.
type clearStatusMsg struct{ id int }

// detailDueMsg says a refresh of the detail, put off while events
// streamed in, is due.
type detailDueMsg struct{}

// retryTickMsg re-renders the next-retry countdown; id stops stale loops.
type retryTickMsg struct{ id int }

type statusKind int

const (
	statusInfo statusKind = iota
	statusOK
	statusWarn
	statusErr
)
