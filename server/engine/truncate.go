package engine

import (
	"hooklab/server/store"
)

// Truncation is the body of POST /internal/truncate, which test suites
// written for the LangGraph JS dev server call to start from an empty
// server: each kind of object set true is removed. Unknown keys are
// ignored, as there.
type Truncation struct {
	Runs         bool `json:"runs"`
	Threads      bool `json:"threads"`
	Assistants   bool `json:"assistants"` // those a client made; the system ones stay
	Checkpointer bool `json:"checkpointer"`
	Store        bool `json:"store"`
}

// Truncate removes what tr names. A run still pending or running is
// cancelled (interrupt) and removed, as a deleted thread's runs are: it
// ends without being kept. A thread goes with its runs and checkpoints.
func (e *Engine) Truncate(tr Truncation) {
	e.mu.Lock()
	if tr.Threads {
		for _, t := range e.threads {
			e.dropThreadLocked(t)
		}
	}
	if tr.Runs {
		for id, r := range e.runs {
			if !r.ended() {
				e.cancelRunLocked(r, ActionInterrupt)
			}
			delete(e.runs, id)
			e.unpersist(store.Runs, id)
		}
	}
	if tr.Checkpointer {
		for _, t := range e.threads {
			if t.active == nil && len(t.queue) == 0 && len(t.history) > 0 {
				t.history = nil
				e.persistThread(t)
			}
		}
	}
	if tr.Assistants {
		for id, a := range e.assistants {
			if a.Metadata["created_by"] != "system" {
				e.dropAssistantLocked(id)
			}
		}
	}
	e.mu.Unlock()
	if tr.Store {
		e.items.mu.Lock()
		for id := range e.items.m {
			delete(e.items.m, id)
			e.unpersist(store.StoreItems, id)
		}
		e.items.mu.Unlock()
	}
}
