package ui

import (
	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
)

// cursor is the navigation state of a virtualised list: the positions (in
// a backing slice) that pass the filter, the selection, the first visible
// position and follow mode. Both lists (runs and raw events) use it.
type cursor struct {
	idx    []int // positions that pass the filter, oldest first
	sel    int   // position in idx
	top    int   // first visible position in idx
	follow bool  // keep the newest row selected and in view
	rows   int   // how many rows fit on screen
}

func (c *cursor) clamp() {
	c.sel = min(max(c.sel, 0), max(len(c.idx)-1, 0))
	if c.rows <= 0 {
		return
	}
	if c.follow || c.sel >= c.top+c.rows {
		c.top = c.sel - c.rows + 1
	}
	if c.sel < c.top {
		c.top = c.sel
	}
	c.top = min(max(c.top, 0), max(len(c.idx)-c.rows, 0))
}

// reselect selects, after the index was rebuilt, the first row at or
// after the one selected before (at says how the row at backing position
// i compares with it), or the newest when following or when nothing was
// selected.
func (c *cursor) reselect(selected bool, at func(i int) int) {
	c.sel = len(c.idx) - 1
	if !c.follow && selected {
		for p, i := range c.idx {
			if at(i) >= 0 {
				c.sel = p
				break
			}
		}
	}
	c.clamp()
}

// passes reports whether outcome out passes outcome filter f (an index
// into outcomeFilters).
func passes(f int, out outcome) bool {
	switch f {
	case 1:
		return out == outOK
	case 2:
		return out == outWarn || out == outPending
	case 3:
		return out == outErr
	}
	return true
}

// pos is the backing position of the selection; false when empty.
func (c *cursor) pos() (int, bool) {
	if c.sel < 0 || c.sel >= len(c.idx) {
		return 0, false
	}
	return c.idx[c.sel], true
}

// atEnd reports whether the newest row (or nothing) is selected.
func (c *cursor) atEnd() bool { return c.sel >= len(c.idx)-1 }

// moveBy moves the selection; moving off the bottom resumes follow mode.
func (c *cursor) moveBy(n int) {
	c.sel += n
	c.follow = c.sel >= len(c.idx)-1
	c.clamp()
}

// newest selects the newest row and follows.
func (c *cursor) newest() { c.moveBy(len(c.idx)) }

// selectRow selects the row drawn at screen row i (0 is the top one);
// false when nothing is drawn there.
func (c *cursor) selectRow(i int) bool {
	p := c.top + i
	if i < 0 || p >= len(c.idx) {
		return false
	}
	c.sel = p
	c.follow = c.atEnd()
	c.clamp()
	return true
}

// cut drops the positions below n (rows trimmed from the front of the
// backing slice) and shifts the rest down.
func (c *cursor) cut(n int) {
	drop := 0
	for drop < len(c.idx) && c.idx[drop] < n {
		drop++
	}
	k := copy(c.idx, c.idx[drop:])
	c.idx = c.idx[:k]
	for i := range c.idx {
		c.idx[i] -= n
	}
	c.sel -= drop
	c.top -= drop
}

// navigate handles the navigation keys and the wheel; false when msg is
// not one of them.
func (c *cursor) navigate(msg tea.Msg, k *KeyMap) bool {
	switch msg := msg.(type) {
	case tea.KeyPressMsg:
		switch {
		case key.Matches(msg, k.List.Up):
			c.moveBy(-1)
		case key.Matches(msg, k.List.Down):
			c.moveBy(1)
		case key.Matches(msg, k.List.PageUp):
			c.moveBy(-max(c.rows-1, 1))
		case key.Matches(msg, k.List.PageDown):
			c.moveBy(max(c.rows-1, 1))
		case key.Matches(msg, k.List.Top):
			c.moveBy(-len(c.idx))
		case key.Matches(msg, k.List.Bottom):
			c.newest()
		default:
			return false
		}
	case tea.MouseWheelMsg:
		switch msg.Button {
		case tea.MouseWheelUp:
			c.moveBy(-3)
		case tea.MouseWheelDown:
			c.moveBy(3)
		}
	default:
		return false
	}
	return true
}
