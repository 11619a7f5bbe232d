package ui

import (
	"errors"
	"fmt"
	"time"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"hooklab/server/hub"
	"hooklab/server/store"
)

// defaultTTL is how long a status message stays up.
const defaultTTL = 5 * time.Second

// Update implements tea.Model.
func (m *Model) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	var cmds []tea.Cmd
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		m.handleResize(msg.Width, msg.Height)
	case tea.BackgroundColorMsg:
		m.setTheme(msg.IsDark())
	case tea.KeyPressMsg:
		cmds = append(cmds, m.handleKey(msg))
	case tea.PasteMsg:
		cmds = append(cmds, m.handlePaste(msg))
	case tea.MouseWheelMsg:
		if m.dialog == nil {
			if m.focus == focusDetail || m.inDetail(msg.X, msg.Y) {
				m.pinSelection() // scrolling the detail is reading it: follow must not swap it
				m.detail.wheel(msg)
			} else {
				m.updateList(msg)
			}
		}
	case tea.MouseClickMsg:
		m.handleClick(msg)
	case subscribedMsg:
		m.sub = msg.sub
		cmds = append(cmds, m.startFeed())
	case eventsMsg:
		cmds = append(cmds, m.handleEvents(msg))
	case feedClosedMsg:
		m.feedClosed = true
		cmds = append(cmds, m.setStatus("event feed closed", statusWarn, 0))
	case historyMsg:
		cmds = append(cmds, m.handleHistory(msg))
	case countsMsg:
		if msg.err != nil {
			cmds = append(cmds, m.setStatus("header counts cover the loaded events only: "+msg.err.Error(), statusWarn, defaultTTL))
		} else {
			c := &m.feed.counts
			c.delivered, c.failed, c.refused = c.delivered+msg.delivered, c.failed+msg.failed, c.refused+msg.refused
		}
	case deliveryMsg:
		if msg.id == m.detail.did {
			m.detail.loading = false
			if msg.err == nil {
				d := msg.d
				m.detail.full, m.detail.fullErr = &d, nil
			} else if !errors.Is(msg.err, store.ErrNotFound) {
				m.detail.fullErr = msg.err
			}
			m.detail.fullVer++
		}
	case eventMsg:
		m.detail.eventFetched(msg)
	case retryTickMsg:
		if msg.id == m.tickID {
			m.ticking = false
			m.detail.tick++
		}
	case statusMsg:
		cmds = append(cmds, m.setStatus(msg.text, msg.kind, msg.ttl))
	case clearStatusMsg:
		if msg.id == m.status.id {
			m.status.text = ""
		}
	case replayDoneMsg:
		cmds = append(cmds, m.handleReplayDone(msg))
	case diffMsg:
		cmds = append(cmds, m.handleDiff(msg))
	case editReadyMsg:
		cmds = append(cmds, m.handleEditReady(msg))
	case editDoneMsg:
		cmds = append(cmds, m.handleEditDone(msg))
	case configReloadedMsg:
		m.info = m.b.Info() // the header names the file now in force
		if msg.err != nil {
			cmds = append(cmds, m.setStatus("reload refused: "+msg.err.Error(), statusErr, 2*defaultTTL))
		} else {
			cmds = append(cmds, m.setStatus("langgraph.json reloaded: the editor shows it", statusOK, defaultTTL))
		}
		if m.dialog != nil {
			cmds = append(cmds, m.updateDialog(msg))
		}
	case urlCheckedMsg, urlDueMsg, cronsMsg, resolveDueMsg, configResolvedMsg, loosenedMsg, upstreamLogMsg, logTickMsg:
		if m.dialog != nil {
			cmds = append(cmds, m.updateDialog(msg))
		}
	case configSavedMsg:
		if msg.err == nil {
			m.info = m.b.Info() // the header names the file now in force
		}
		if m.dialog != nil {
			cmds = append(cmds, m.updateDialog(msg))
		}
		cmds = append(cmds, m.configStatus(msg))
	case cronChangedMsg:
		if m.dialog != nil {
			cmds = append(cmds, m.updateDialog(msg))
		}
		if msg.err != nil {
			cmds = append(cmds, m.setStatus("cron "+short(msg.id)+" not "+msg.action+": "+msg.err.Error(), statusErr, defaultTTL))
		} else {
			cmds = append(cmds, m.setStatus("cron "+short(msg.id)+" "+msg.action, statusOK, defaultTTL))
		}
	case cronFiredMsg:
		if msg.err != nil {
			cmds = append(cmds, m.setStatus("fire cron "+short(msg.id)+": "+msg.err.Error(), statusErr, defaultTTL))
		} else {
			cmds = append(cmds, m.setStatus("cron "+short(msg.id)+" fired: run "+msg.runID, statusOK, defaultTTL))
		}
	}
	if m.dialog == nil && len(m.diffQueue) > 0 {
		m.dialog, m.diffQueue = m.diffQueue[0], m.diffQueue[1:]
	}
	if v, ok := m.dialog.(*diffView); ok {
		v.queued = len(m.diffQueue)
	}
	m.setFocusKeys()
	if m.w > 0 && len(m.bannerLines()) != m.banners {
		m.relayout() // a banner came or went: the header's height changed
	}
	cmds = append(cmds, m.followDetail(msg))
	return m, tea.Batch(cmds...)
}

func (m *Model) configStatus(msg configSavedMsg) tea.Cmd {
	switch {
	case msg.err != nil:
		return m.setStatus("config refused: "+msg.err.Error(), statusErr, 2*defaultTTL)
	case msg.save:
		return m.setStatus("config applied and saved", statusOK, defaultTTL)
	}
	return m.setStatus("config applied live", statusOK, defaultTTL)
}

// handleResize recomputes the layout; the same size twice is a no-op.
func (m *Model) handleResize(w, h int) {
	if w == m.w && h == m.h {
		return
	}
	m.w, m.h = w, h
	m.relayout()
}

// relayout recomputes the regions for the current size and help state.
func (m *Model) relayout() {
	helpH := 0
	m.helpLay = nil
	m.banners = len(m.bannerLines())
	if m.showHelp {
		m.helpLay = m.helpPages(m.w, max(1, m.h-1-2-m.banners-minBodyHelp))
		m.helpPage = min(m.helpPage, max(0, len(m.helpLay)-1))
		if len(m.helpLay) > 0 {
			helpH = m.helpLay[m.helpPage].height(m.FullHelp())
		}
	}
	m.lay = computeLayout(m.w, m.h, m.banners, helpH)
	m.help.SetWidth(m.w)
	m.list.SetSize(m.lay.list.w, m.lay.list.h)
	m.runs.SetSize(m.lay.list.w, m.lay.list.h)
	m.detail.SetSize(m.lay.detail.w, m.lay.detail.h)
}

// toggleHelp opens (at its first page) or closes the full help; the feed
// shrinks to make room.
func (m *Model) toggleHelp(open bool) {
	if m.showHelp != open {
		m.showHelp, m.helpPage = open, 0
		m.relayout()
	}
}

// helpKey is ?: open the help, turn to its next page, or close it after
// the last.
func (m *Model) helpKey() {
	if m.showHelp && m.helpPage+1 < len(m.helpLay) {
		m.helpPage++
		m.relayout()
		return
	}
	m.toggleHelp(!m.showHelp)
}

// handleEvents appends a drained batch and re-arms the subscription once.
func (m *Model) handleEvents(msg eventsMsg) tea.Cmd {
	did := m.detail.did
	var before rowKey
	if ds := m.feed.deliveries[did]; did != "" && ds != nil {
		before = ds.last
	}
	mk, rmk := m.list.mark(), m.runs.mark()
	res := m.feed.add(msg.events, true)
	m.list.appended(res, mk)
	m.runs.appended(res, rmk)
	if ds := m.feed.deliveries[did]; did != "" && ds != nil && ds.last != before {
		m.detail.stale = true // the delivery on screen changed: fetch it again
	}
	m.nextBatch = m.wall().Add(frameAfter(len(msg.events)))
	cmds := []tea.Cmd{m.waitForEvents()}
	for _, e := range msg.events {
		switch e.Kind {
		case hub.KindNotice:
			cmds = append(cmds, m.liveNotice(e))
		case hub.KindConfig:
			m.info = m.b.Info() // applied or saved elsewhere (another client, a reload)
		case hub.KindUpstream:
			cmds = append(cmds, m.upstreamChanged(e))
		}
	}
	if msg.lagged && m.sub != nil {
		m.sub.ClearLag()
		cmds = append(cmds, m.historyCmd(store.Query{Since: m.feed.lastSeq}, true))
	}
	return tea.Batch(cmds...)
}

func (m *Model) handleHistory(msg historyMsg) tea.Cmd {
	if msg.err != nil {
		return m.setStatus("history: "+msg.err.Error(), statusErr, defaultTTL)
	}
	mk, rmk := m.list.mark(), m.runs.mark()
	res := m.feed.add(msg.events, false)
	m.list.appended(res, mk)
	m.runs.appended(res, rmk)
	if msg.resync {
		return m.setStatus(fmt.Sprintf("feed lagged: resynced %d events from history", res.appended), statusWarn, defaultTTL)
	}
	if len(msg.events) >= backfillLimit && msg.events[0].Seq > 1 {
		// The store holds more than the window: count what came before it.
		return m.olderCountsCmd(msg.events[0].Seq)
	}
	return nil
}

// handleKey routes a key: dialog first, then search, then global keys, then
// the focused child.
func (m *Model) handleKey(msg tea.KeyPressMsg) tea.Cmd {
	k := &m.keys
	if msg.String() == "ctrl+c" {
		return m.quit()
	}
	if m.tooSmall() {
		if key.Matches(msg, k.Global.Quit) {
			return m.quit()
		}
		return nil
	}
	if m.dialog != nil {
		return m.updateDialog(msg)
	}
	if m.search.active {
		return m.updateSearch(msg)
	}
	switch {
	case key.Matches(msg, k.Global.Quit):
		return m.quit()
	case key.Matches(msg, k.Global.Help):
		m.helpKey()
		return nil
	case msg.String() == "esc" && m.showHelp:
		m.toggleHelp(false)
		return nil
	case key.Matches(msg, k.Global.Tab):
		m.setFocus(1 - m.focus)
		return nil
	case msg.String() == "G", m.focus == focusList && key.Matches(msg, k.List.Bottom):
		// Wherever the keyboard is, G goes to the newest row and follows.
		m.setFocus(focusList)
		m.cur().newest()
		return nil
	case key.Matches(msg, k.List.View):
		m.toggleView()
		return nil
	case key.Matches(msg, k.Detail.Diff):
		m.pinSelection()
		return m.diffCmd()
	case key.Matches(msg, k.List.Search):
		m.search.start(m.runs.query)
		return nil
	case key.Matches(msg, k.Global.Config):
		m.dialog = newConfigEditor(m.kit(), m.b.Config())
		return nil
	case key.Matches(msg, k.Global.URLTest):
		m.dialog = newURLTester(m.kit(), m.b.NewURLTester())
		return nil
	case key.Matches(msg, k.Global.Log):
		m.logID++
		v := newLogView(m.kit(), m.logID, m.info.Upstream.PID != 0)
		m.dialog = v
		return v.start()
	case anyKey(msg, k.Global.Log):
		return m.setStatus("no upstream: hooklab runs its own graphs (hooklab dev --upstream URL -- COMMAND shows a command's output here)", statusWarn, defaultTTL)
	case key.Matches(msg, k.Global.Crons):
		kit := m.kit()
		m.dialog = newCronList(kit)
		return kit.cmds.crons()
	case key.Matches(msg, k.Detail.Replay):
		m.pinSelection()
		return m.replayCmd(m.selectedDelivery(), "", nil)
	case key.Matches(msg, k.Detail.Edit):
		m.pinSelection()
		return m.editCmd(m.selectedDelivery())
	case key.Matches(msg, k.Detail.ReplayTo):
		m.pinSelection()
		m.dialog = newReplayTo(m.kit(), m.selectedDelivery(), m.selectedURL())
		return nil
	case anyKey(msg, k.Detail.Replay, k.Detail.Edit, k.Detail.ReplayTo):
		// Disabled: the selected row is not about a delivery. Say why
		// rather than do nothing.
		return m.setStatus("select a delivery to replay (a run with a webhook, or a delivery, attempt or decision row)", statusWarn, defaultTTL)
	case anyKey(msg, k.Detail.Diff):
		return m.setStatus("select a replay to see its diff", statusWarn, defaultTTL)
	case msg.String() == "esc" && m.focus == focusDetail:
		m.setFocus(focusList)
		return nil
	}
	if m.focus == focusDetail {
		m.detail.handleKey(msg, k)
		return nil
	}
	if key.Matches(msg, k.List.Open) {
		m.setFocus(focusDetail)
		return nil
	}
	m.updateList(msg)
	return nil
}

// setFocus moves the keyboard between list and detail. While the detail
// has it, follow mode is off: new events must not swap the document being
// read (or reset its scroll). Back on the list, follow resumes only if the
// newest row is still the one selected.
func (m *Model) setFocus(f focusArea) {
	m.focus = f
	m.list.focused = f == focusList
	m.runs.focused = f == focusList
	m.detail.focused = f == focusDetail
	if c := m.cur(); f == focusDetail {
		c.follow = false
	} else {
		c.follow = c.atEnd()
	}
}

// anyKey matches msg against the keys of bindings whether or not they are
// enabled.
func anyKey(msg tea.KeyPressMsg, bs ...key.Binding) bool {
	for _, b := range bs {
		b.SetEnabled(true) // a copy
		if key.Matches(msg, b) {
			return true
		}
	}
	return false
}

func (m *Model) quit() tea.Cmd {
	m.cancel()
	return tea.Quit
}

// secretHeader reports whether a header's value came from a template in the
// config in force, so the detail view masks it even if a caller forgot.
func (m *Model) secretHeader(name string) bool {
	rt := m.b.Config()
	if rt == nil {
		return false
	}
	for _, h := range rt.Headers {
		if h.Secret && equalFold(h.Name, name) {
			return true
		}
	}
	return false
}

func equalFold(a, b string) bool { return len(a) == len(b) && containsFold(a, b) }

var _ tea.Model = (*Model)(nil)
