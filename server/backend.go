package server

import (
	"context"
	"sort"

	"hooklab/config"
	"hooklab/ui"
)

// Backend adapts a Server to the dashboard's ui.Backend.
type Backend struct {
	*Server
	info ui.Info
}

// NewBackend returns the in-process backend of the dashboard.
func NewBackend(s *Server, info ui.Info) *Backend { return &Backend{Server: s, info: info} }

// Config implements ui.Backend.
func (b *Backend) Config() *config.Runtime { return b.Runtime() }

// Info implements ui.Backend.
func (b *Backend) Info() ui.Info {
	i := b.info
	if f := b.Runtime().File; f != nil {
		i.ConfigPath, i.Embedded = f.Path, f.Embedded
	}
	return i
}

// Crons implements ui.Backend.
func (b *Backend) Crons(ctx context.Context) ([]ui.Cron, error) {
	b.mu.Lock()
	out := make([]ui.Cron, 0, len(b.crons))
	for _, c := range b.crons {
		row := ui.Cron{ID: c.CronID, AssistantID: c.AssistantID, ThreadID: deref(c.ThreadID), Schedule: c.Schedule, Enabled: c.Enabled}
		if wh, ok := c.Payload["webhook"].(string); ok {
			row.Webhook = wh
		}
		if c.NextRunDate != nil {
			t := c.NextRunDate.Time
			row.NextRun = &t
		}
		if c.EndTime != nil {
			t := c.EndTime.Time
			row.EndTime = &t
		}
		out = append(out, row)
	}
	b.mu.Unlock()
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out, nil
}
