package server

import (
	"bytes"
	"context"
	"os"
	"time"

	"hooklab/config"
	"hooklab/server/hub"
)

// WatchConfig reloads langgraph.json when it changes on disk. A file that no
// longer loads (invalid JSON, a bad key, a missing variable) is reported as
// an event with the error's line and column, and the running config stays in
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
		s.reloadConfig(path, data)
	}
}

// reloadConfig applies a changed file, or reports why it cannot.
func (s *Server) reloadConfig(path string, data []byte) {
	f, err := config.Parse(path, data)
	if err == nil {
		// Graphs are fixed for the life of the process; only webhook
		// settings are applied live.
		cur := s.Runtime().File
		next := f.Clone()
		next.Graphs = cur.Graphs
		if rt, rerr := config.Resolve(next, s.o.LookupEnv); rerr != nil {
			err = rerr
		} else if sameFile(cur, next) {
			return
		} else {
			s.live.Store(rt)
			s.emit(hub.KindConfig, hub.ConfigInfo{Action: "reloaded", Path: path})
			return
		}
	}
	s.emit(hub.KindConfig, hub.ConfigInfo{Action: "reload-failed", Path: path,
		Error: err.Error() + " (the running config stays in force until the file is fixed)"})
}

func sameFile(a, b *config.File) bool {
	x, err1 := a.Marshal()
	y, err2 := b.Marshal()
	return err1 == nil && err2 == nil && bytes.Equal(x, y)
}
