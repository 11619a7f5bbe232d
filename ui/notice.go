package ui

import (
	"strings"

	tea "charm.land/bubbletea/v2"

	"hooklab/server/hub"
)

// alertState is a transient problem the header keeps showing (a red badge)
// until a notice from the same source says it is over. Such notices come
// straight from the hub with Seq 0 (the store may be the thing failing, so
// they are never stored) and would otherwise scroll out of sight.
type alertState struct {
	text   string
	source string // "store" for "store: disk full"; "" when the text names none
}

// Alert is the problem the header badge shows right now ("" when none).
func (m *Model) Alert() string { return m.alert.text }

// liveNotice handles a notice from the subscription. An unsequenced (Seq
// 0) error raises the header badge and holds the status bar; an info notice
// from the same source, stored or not, clears the badge. Stored notices
// otherwise just sit in the feed: only unstored ones need the status bar,
// because they never come back from History.
func (m *Model) liveNotice(e hub.Event) tea.Cmd {
	var p hub.NoticeInfo
	if e.Decode(&p) != nil || p.Text == "" {
		return nil
	}
	src := noticeSource(p.Text)
	if p.Level == "info" && m.alert.text != "" && src == m.alert.source {
		m.alert = alertState{}
		return m.setStatus(p.Text, statusOK, defaultTTL)
	}
	if e.Seq != 0 {
		return nil
	}
	switch p.Level {
	case "error":
		m.alert = alertState{text: oneLine(p.Text), source: src}
		return m.setStatus(p.Text, statusErr, 0) // sticky: the badge says it is still true
	case "warn":
		return m.setStatus(p.Text, statusWarn, defaultTTL)
	}
	return m.setStatus(p.Text, statusInfo, defaultTTL)
}

// noticeSource is the leading "word:" of a notice, which names the part of
// hooklab it is about.
func noticeSource(text string) string {
	i := strings.IndexByte(text, ':')
	if i <= 0 || i > 24 || strings.ContainsAny(text[:i], " \t") {
		return ""
	}
	return strings.ToLower(text[:i])
}
