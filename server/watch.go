package server

import (
	"bytes"
	"context"
	"os"
	"slices"
	"time"

	"hooklab/config"
	"hooklab/server/hub"
)

// WatchConfig reloads langgraph.json when it changes on disk. A file that no
// longer loads (invalid JSON, a bad key, a missing variable) is reported as
// an event with the error's line and column, and as the config's Problem
// (GET /hooklab/config) until it is fixed; the running config stays in
// force. Polling keeps it dependency-free and works on every filesystem.
func (s *Server) WatchConfig(ctx context.Context, path string, every time.Duration) {
	last, _ := os.ReadFile(path)
	var seen []byte // a change waits one more tick: editors write in steps
	tick := time.NewTicker(every)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		data, err := os.ReadFile(path)
		// An empty read is an editor mid-write (truncate, then write).
		if err != nil || len(bytes.TrimSpace(data)) == 0 || bytes.Equal(data, last) {
			seen = nil
			continue
		}
		if !bytes.Equal(data, seen) {
			seen = data
			continue
		}
		last, seen = data, nil
		_ = s.reloadConfig(path, data, false)
	}
}

// reloadConfig applies the file's new bytes, or reports why it cannot.
// A file that says what is in force already is taken quietly (so the next
// save compares the disk with these bytes), unless it fixes a Problem or
// always is set; then a "reloaded" event tells the dashboard.
func (s *Server) reloadConfig(path string, data []byte, always bool) error {
	f, err := config.Parse(path, data)
	if err == nil {
		// Graphs are fixed for the life of the process; only webhook
		// settings are applied live.
		cur := s.Runtime()
		next := f.Clone()
		next.Graphs = cur.File.Graphs
		rt, rerr := config.Resolve(next, s.o.LookupEnv)
		if rerr == nil {
			same := sameFile(cur.File, next)
			s.live.Store(rt)
			if !same || always || cur.Problem != nil {
				s.emit(hub.KindConfig, hub.ConfigInfo{Action: "reloaded", Path: path})
				s.warnNew(cur.File, f)
			}
			return nil
		}
		err = rerr
	}
	s.reportBroken(path, err)
	return err
}

// reportBroken records that the file at path does not load: the config's
// Problem and a reload-failed event.
func (s *Server) reportBroken(path string, err error) {
	s.setProblem(config.NewProblem(path, err, time.Now().UTC()))
	s.emit(hub.KindConfig, hub.ConfigInfo{Action: "reload-failed", Path: path,
		Error: err.Error() + " (the running config stays in force until the file is fixed)"})
}

// setProblem puts p on the config in force (a copy of it: a Runtime is
// never changed once in force), keeping a Problem already there for the
// same file so its Since stays the first time it was seen.
func (s *Server) setProblem(p *config.Problem) {
	for {
		cur := s.live.Load()
		if cur.Problem != nil && cur.Problem.Message == p.Message {
			return
		}
		next := *cur
		next.Problem = p
		if s.live.CompareAndSwap(cur, &next) {
			return
		}
	}
}

// WarnConfig tells the feed and the dashboard what in f is taken but
// probably not meant (config.File.Warnings): keys hooklab does not know,
// CORS settings no browser can use. One notice per warning.
func (s *Server) WarnConfig(f *config.File) { s.warn(f, f.Warnings) }

// warnNew is WarnConfig for the warnings of f that were not those of was:
// a reload repeats none already given.
func (s *Server) warnNew(was, f *config.File) {
	var fresh []string
	for _, w := range f.Warnings {
		if was == nil || !slices.Contains(was.Warnings, w) {
			fresh = append(fresh, w)
		}
	}
	s.warn(f, fresh)
}

func (s *Server) warn(f *config.File, warnings []string) {
	for _, w := range warnings {
		s.emit(hub.KindNotice, hub.NoticeInfo{Level: "warn", Text: configLabel(f) + ": " + w})
	}
}

func sameFile(a, b *config.File) bool {
	x, err1 := a.Marshal()
	y, err2 := b.Marshal()
	return err1 == nil && err2 == nil && bytes.Equal(x, y)
}
