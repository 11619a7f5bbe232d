package store

import (
	"context"
	"database/sql"
	"encoding/binary"
	"errors"
	"fmt"
	"sync"

	"github.com/klauspost/compress/s2"
)

// Rows of the deliveries table are compressed with s2 against a
// dictionary made of earlier rows. Consecutive deliveries share nearly
// everything but their ids and times (the keys, the URL, the headers, the
// policy's checks, the shape of the body), so a row of ~3 KB keeps a few
// hundred bytes, for a few microseconds of the writer's time. The
// dictionaries live in the dicts table. A compressed row is rowS2Dict, the
// dictionary's id (4 bytes, big-endian, so rows can be compared by it in
// SQL), then the s2 block; a row that starts with '{' is plain JSON
// (written by an earlier hooklab, or merged from the journal).
const rowS2Dict = 0x01

const (
	// dictWindow is how many rows the writer judges its dictionary on: a
	// new one is made from recent rows when they compress worse than
	// dictRetrain (the traffic changed). It is also the fewest rows a
	// dictionary serves, so even rows that no dictionary helps (random
	// bodies) pay at most dictMax/dictWindow bytes each for them.
	dictWindow  = 1024
	dictRetrain = 0.45
	// dictRecent is how many recent rows a new dictionary is made of, and
	// dictMax its largest size.
	dictRecent = 8
	dictMax    = 32 << 10
)

// packer is the writer's compression state.
type packer struct {
	cur    *s2.Dict
	curID  uint32
	nextID uint32   // ids are never reused, even after a rolled-back batch
	recent [][]byte // the last rows, uncompressed, newest last
	rows   int      // rows packed in the current window
	raw    int64    // their bytes before
	packed int64    // and after
	buf    []byte
}

// dictCache holds the dictionaries rows were compressed with, by id, for
// every reader of the store.
type dictCache struct {
	m sync.Map // uint32 -> *s2.Dict
}

// packRow compresses raw (the row form of a delivery) and returns the
// bytes to store, valid until the next call. It may first make a new
// dictionary, stored by tx in the same transaction as the row.
func (s *Store) packRow(ctx context.Context, tx *sql.Conn, raw []byte) ([]byte, error) {
	p := &s.pack
	if p.cur == nil || (p.rows >= dictWindow && float64(p.packed) > dictRetrain*float64(p.raw)) {
		if err := s.newDict(ctx, tx, raw); err != nil {
			return nil, err
		}
	}
	need := 5 + s2.MaxEncodedLen(len(raw))
	if cap(p.buf) < need {
		p.buf = make([]byte, need)
	}
	out := p.buf[:5]
	out[0] = rowS2Dict
	binary.BigEndian.PutUint32(out[1:], p.curID)
	out = out[:5+len(p.cur.Encode(p.buf[5:need], raw))]
	p.rows++
	p.raw += int64(len(raw))
	p.packed += int64(len(out))
	if len(p.recent) == dictRecent {
		p.recent = append(p.recent[:0], p.recent[1:]...)
	}
	p.recent = append(p.recent, append([]byte(nil), raw...))
	return out, nil
}

// newDict makes a dictionary of the recent rows and raw, and stores it.
func (s *Store) newDict(ctx context.Context, tx *sql.Conn, raw []byte) error {
	p := &s.pack
	var data []byte
	for _, r := range p.recent {
		data = append(data, r...)
	}
	data = append(data, raw...)
	if len(data) > dictMax {
		data = data[len(data)-dictMax:]
	}
	if len(data) < s2.MinDictSize {
		data = append(data, "{\"headers\":null,\"body\":null}"...)
	}
	d := s2.MakeDict(data, raw[:min(len(raw), 16)])
	if d == nil {
		return errors.New("store: cannot make a compression dictionary")
	}
	if p.nextID == 0 {
		var last sql.NullInt64
		if err := tx.QueryRowContext(ctx, "SELECT MAX(id) FROM dicts").Scan(&last); err != nil {
			return err
		}
		p.nextID = uint32(last.Int64) + 1
	}
	id := p.nextID
	p.nextID++
	// The one in use so far (this process's, or the last one an earlier
	// hooklab left current) is retired now.
	if _, err := tx.ExecContext(ctx, "UPDATE dicts SET until = ? WHERE until IS NULL", s.o.Now().UnixNano()); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, "INSERT INTO dicts (id, data) VALUES (?, ?)", int64(id), d.Bytes()); err != nil {
		return err
	}
	s.dicts.m.Store(id, d)
	p.cur, p.curID = d, id
	p.rows, p.raw, p.packed = 0, 0, 0
	return nil
}

// resetPack forgets the current dictionary after a batch was rolled back
// (it may not be stored); the next row makes a new one.
func (s *Store) resetPack() {
	s.pack.cur = nil
}

// unpackRow returns the JSON of a deliveries data column.
func (s *Store) unpackRow(ctx context.Context, data []byte) ([]byte, error) {
	if len(data) == 0 || data[0] == '{' {
		return data, nil
	}
	if data[0] != rowS2Dict || len(data) < 5 {
		return nil, fmt.Errorf("%w: a delivery row in an unknown format", ErrCorrupt)
	}
	id := binary.BigEndian.Uint32(data[1:5])
	d, err := s.dict(ctx, id)
	if err != nil {
		return nil, err
	}
	out, err := d.Decode(nil, data[5:])
	if err != nil {
		return nil, fmt.Errorf("%w: delivery row (dictionary %d): %v", ErrCorrupt, id, err)
	}
	return out, nil
}

// dict returns dictionary id, from the cache or the table.
func (s *Store) dict(ctx context.Context, id uint32) (*s2.Dict, error) {
	if d, ok := s.dicts.m.Load(id); ok {
		return d.(*s2.Dict), nil
	}
	var b []byte
	err := s.rdb.QueryRowContext(ctx, "SELECT data FROM dicts WHERE id = ?", int64(id)).Scan(&b)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("%w: compression dictionary %d is missing", ErrCorrupt, id)
	}
	if err != nil {
		return nil, s.readErr(err)
	}
	d := s2.NewDict(b)
	if d == nil {
		return nil, fmt.Errorf("%w: compression dictionary %d is unreadable", ErrCorrupt, id)
	}
	s.dicts.m.Store(id, d)
	return d, nil
}

// pruneDicts deletes the dictionaries no delivery row left can use: those
// retired before cut (every row written since uses a later one; cut is no
// later than the oldest write of a row pruning kept by its age) that no
// kept older row (a pending delivery, a delivery of a run still running)
// names. Runs in the caller's transaction.
func (s *Store) pruneDicts(ctx context.Context, c *sql.Conn, cut int64, keepRuns []string) error {
	used := map[uint32]bool{}
	scan := func(query string, args ...any) error {
		rows, err := c.QueryContext(ctx, query, args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var b []byte
			if err := rows.Scan(&b); err != nil {
				return err
			}
			if len(b) >= 5 && b[0] == rowS2Dict {
				used[binary.BigEndian.Uint32(b[1:5])] = true
			}
		}
		return rows.Err()
	}
	heads := "SELECT substr(data, 1, 5) FROM deliveries WHERE "
	if err := scan(heads+"created_at <= ? AND outcome = 'pending'", cut); err != nil {
		return err
	}
	for i := 0; i < len(keepRuns); i += 500 {
		part := keepRuns[i:min(i+500, len(keepRuns))]
		args := make([]any, len(part))
		for j, r := range part {
			args[j] = r
		}
		if err := scan(heads+"run_id IN ("+placeholders(len(part))+")", args...); err != nil {
			return err
		}
	}
	rows, err := c.QueryContext(ctx, "SELECT id FROM dicts WHERE until IS NOT NULL AND until < ?", cut)
	if err != nil {
		return err
	}
	var free []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return err
		}
		if !used[uint32(id)] {
			free = append(free, id)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	if err := execIn(ctx, c, "DELETE FROM dicts WHERE id IN (%s)", free); err != nil {
		return err
	}
	for _, id := range free {
		s.dicts.m.Delete(uint32(id))
	}
	return nil
}
