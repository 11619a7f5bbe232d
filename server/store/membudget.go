package store

// memBudget tracks the events a ":memory:" store holds, oldest first, so it
// can be pruned by count and by bytes: a count alone let a stream of large
// request bodies hold gigabytes. Only the writer goroutine uses it.
type memBudget struct {
	marks []memMark // marks[head:] are the events held, oldest first
	head  int
	bytes int64
}

type memMark struct {
	seq  uint64
	size int64
}

// memRowOverhead approximates SQLite's cost of a row beyond its payload.
const memRowOverhead = 64

// add records a committed event of size payload bytes.
func (b *memBudget) add(seq uint64, size int) {
	n := int64(size) + memRowOverhead
	b.marks = append(b.marks, memMark{seq, n})
	b.bytes += n
}

// cut forgets the oldest events until at most keep events and maxBytes
// bytes remain, and returns the highest sequence number forgotten (0 when
// none): the caller deletes the events up to it.
func (b *memBudget) cut(keep int, maxBytes int64) uint64 {
	var to uint64
	for b.head < len(b.marks) && (len(b.marks)-b.head > keep || b.bytes > maxBytes) {
		m := b.marks[b.head]
		b.head++
		b.bytes -= m.size
		to = m.seq
	}
	if b.head > 4096 && b.head > len(b.marks)/2 {
		b.marks = append(b.marks[:0], b.marks[b.head:]...)
		b.head = 0
	}
	return to
}
