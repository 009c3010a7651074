package project

import (
	"bytes"
	"context"
	"errors"

	"github.com/cockroachdb/pebble/v2"
)

// DiffPageOptions selects one page of a comparison (see DiffPage).
type DiffPageOptions struct {
	// Seek is where the page starts: keys >= Seek going forward, keys <
	// Seek going backward (nil: the first / last key).
	Seek []byte
	// After excludes Seek itself going forward (the page after a row).
	After bool
	// Backward walks down from Seek; rows still come back in key order.
	Backward bool
	// Limit is the most rows returned (default 100).
	Limit int
	// Keep, when set, decides which rows count (differences only, a key
	// filter); rows it drops are skipped, not returned.
	Keep func(*DiffRow) bool
}

// DiffPage returns one page of the merge of two tables, in key order,
// starting at a seek key: a screen keeps a bounded window of rows around its
// cursor and asks for the page after its last row or before its first one
// (Pebble seeks, so a page costs the rows it reads, not the table). More
// reports whether rows remain beyond the page in its direction.
func DiffPage(ctx context.Context, left, right *Table, o DiffPageOptions) (rows []DiffRow, more bool, err error) {
	if o.Limit <= 0 {
		o.Limit = 100
	}
	li, err := left.snap.NewIter(&pebble.IterOptions{LowerBound: prefixRow, UpperBound: upper(prefixRow)})
	if err != nil {
		return nil, false, err
	}
	defer li.Close()
	ri, err := right.snap.NewIter(&pebble.IterOptions{LowerBound: prefixRow, UpperBound: upper(prefixRow)})
	if err != nil {
		return nil, false, err
	}
	defer ri.Close()
	var seek []byte
	if o.Seek != nil {
		seek = append(append([]byte(nil), prefixRow...), o.Seek...)
	}
	position := func(it *pebble.Iterator) bool {
		switch {
		case o.Backward && seek == nil:
			return it.Last()
		case o.Backward:
			return it.SeekLT(seek)
		case seek == nil:
			return it.First()
		}
		ok := it.SeekGE(seek)
		if ok && o.After && bytes.Equal(it.Key(), seek) {
			ok = it.Next()
		}
		return ok
	}
	step := func(it *pebble.Iterator) bool {
		if o.Backward {
			return it.Prev()
		}
		return it.Next()
	}
	lok, rok := position(li), position(ri)
	k := func(it *pebble.Iterator) []byte { return it.Key()[len(prefixRow):] }
	for n := 0; lok || rok; n++ {
		if n%4096 == 0 && ctx.Err() != nil {
			return nil, false, ctx.Err()
		}
		if len(rows) == o.Limit {
			more = true
			break
		}
		cmp := 0
		switch {
		case !lok:
			cmp = 1
		case !rok:
			cmp = -1
		default:
			cmp = bytes.Compare(k(li), k(ri))
			if o.Backward {
				cmp = -cmp // the larger key comes first
			}
		}
		var row DiffRow
		switch {
		case cmp < 0:
			row = DiffRow{Key: string(k(li)), Left: clone(li.Value()), Marker: MarkRemoved}
			lok = step(li)
		case cmp > 0:
			row = DiffRow{Key: string(k(ri)), Right: clone(ri.Value()), Marker: MarkAdded}
			rok = step(ri)
		default:
			m := MarkSame
			if !bytes.Equal(li.Value(), ri.Value()) {
				m = MarkChanged
			}
			row = DiffRow{Key: string(k(li)), Left: clone(li.Value()), Right: clone(ri.Value()), Marker: m}
			lok, rok = step(li), step(ri)
		}
		if o.Keep != nil && !o.Keep(&row) {
			continue
		}
		rows = append(rows, row)
	}
	if err := errors.Join(li.Error(), ri.Error()); err != nil {
		return nil, false, err
	}
	if o.Backward {
		for i, j := 0, len(rows)-1; i < j; i, j = i+1, j-1 {
			rows[i], rows[j] = rows[j], rows[i]
		}
	}
	return rows, more, nil
}
