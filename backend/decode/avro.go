package decode

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// Avro: hamba/avro parses the schema (names, namespaces, references,
// logical types); the binary payload is transcoded straight to JSON by a
// walk over that schema. Going through hamba's generic decoder (maps of
// any, then encoding/json) cost several times more per record, could not
// say at which byte a payload is short, and could not skip the fields a
// projection does not use.
//
// JSON rendering ("natural" JSON, not the Avro JSON encoding): unions are
// unwrapped (a ["null","string"] field is null or a string), enums are
// their symbol, bytes and fixed are base64, decimals are exact JSON
// numbers, timestamp-millis/micros are RFC3339 UTC strings, local
// timestamps the same without zone, date is YYYY-MM-DD, time-millis/micros
// is HH:MM:SS.fff, NaN and infinities are the strings "NaN", "Infinity",
// "-Infinity" (as protojson writes them).

// decodeError is a payload problem at a byte offset of the whole value.
type decodeError struct {
	offset int
	msg    string
	path   []string // innermost last, filled while unwinding
}

func (e *decodeError) Error() string {
	if len(e.path) == 0 {
		return e.msg
	}
	p := make([]string, len(e.path))
	for i := range e.path {
		p[i] = e.path[len(e.path)-1-i]
	}
	return e.msg + " (in " + strings.Join(p, ".") + ")"
}

// areader reads Avro binary. base is the offset of b[0] in the whole value.
type areader struct {
	b     []byte
	pos   int
	base  int
	items int
}

func (r *areader) short(what string) error {
	return &decodeError{offset: r.base + len(r.b), msg: fmt.Sprintf("payload ends early at byte %d, reading %s", r.base+len(r.b), what)}
}

func (r *areader) bad(format string, args ...any) error {
	return &decodeError{offset: r.base + r.pos, msg: fmt.Sprintf(format, args...) + fmt.Sprintf(" at byte %d", r.base+r.pos)}
}

func (r *areader) long(what string) (int64, error) {
	var u uint64
	for shift := uint(0); ; shift += 7 {
		if r.pos >= len(r.b) {
			return 0, r.short(what)
		}
		if shift >= 64 {
			return 0, r.bad("varint longer than 10 bytes reading %s", what)
		}
		c := r.b[r.pos]
		r.pos++
		u |= uint64(c&0x7f) << shift
		if c < 0x80 {
			break
		}
	}
	return int64(u>>1) ^ -int64(u&1), nil
}

func (r *areader) take(n int64, what string) ([]byte, error) {
	if n < 0 {
		return nil, r.bad("negative length %d for %s", n, what)
	}
	if n > int64(len(r.b)-r.pos) {
		return nil, &decodeError{offset: r.base + len(r.b), msg: fmt.Sprintf("payload ends early at byte %d, reading %s of %d bytes", r.base+len(r.b), what, n)}
	}
	b := r.b[r.pos : r.pos+int(n)]
	r.pos += int(n)
	return b, nil
}

// selection narrows a record to the fields a projection uses; nil means
// everything.
type selection map[string]selection

// decodeAvro transcodes one Avro datum to JSON appended to dst. The whole
// payload must be consumed: trailing bytes mean the wrong schema.
func decodeAvro(dst []byte, s *avroSchema, payload []byte, base int, sel selection) ([]byte, error) {
	r := &areader{b: payload, base: base}
	out, err := r.value(dst, s.root, sel, 0)
	if err != nil {
		return dst, err
	}
	if r.pos != len(payload) {
		return dst, &decodeError{offset: base + r.pos, msg: fmt.Sprintf("%d bytes left after the Avro datum ended at byte %d (wrong schema?)", len(payload)-r.pos, base+r.pos)}
	}
	return out, nil
}

func wrapPath(err error, name string) error {
	var de *decodeError
	if errors.As(err, &de) {
		de.path = append(de.path, name)
	}
	return err
}

func (r *areader) value(dst []byte, n *anode, sel selection, depth int) ([]byte, error) {
	if depth > maxValueDepth {
		return dst, r.bad("value nests deeper than %d levels", maxValueDepth)
	}
	if len(dst) > maxOutput {
		return dst, r.bad("decoded value larger than %d MiB", maxOutput>>20)
	}
	switch n.kind {
	case aNull:
		return append(dst, "null"...), nil
	case aBool:
		if r.pos >= len(r.b) {
			return dst, r.short("a boolean")
		}
		c := r.b[r.pos]
		if c > 1 {
			return dst, r.bad("boolean byte 0x%02x is not 0 or 1", c)
		}
		r.pos++
		if c == 1 {
			return append(dst, "true"...), nil
		}
		return append(dst, "false"...), nil
	case aInt:
		v, err := r.long("an int")
		if err != nil {
			return dst, err
		}
		if v < math.MinInt32 || v > math.MaxInt32 {
			return dst, r.bad("int %d out of 32-bit range", v)
		}
		switch n.logical {
		case lDate:
			return appendQuoted(dst, time.Unix(v*86400, 0).UTC(), "2006-01-02"), nil
		case lTimeMillis:
			return appendClock(dst, v*int64(time.Millisecond), "15:04:05.000"), nil
		}
		return strconv.AppendInt(dst, v, 10), nil
	case aLong:
		v, err := r.long("a long")
		if err != nil {
			return dst, err
		}
		switch n.logical {
		case lTsMillis:
			return appendTimestamp(dst, time.UnixMilli(v).UTC(), 3, true), nil
		case lTsMicros:
			return appendTimestamp(dst, time.UnixMicro(v).UTC(), 6, true), nil
		case lLocalTsMillis:
			return appendTimestamp(dst, time.UnixMilli(v).UTC(), 3, false), nil
		case lLocalTsMicros:
			return appendTimestamp(dst, time.UnixMicro(v).UTC(), 6, false), nil
		case lTimeMicros:
			return appendClock(dst, v*int64(time.Microsecond), "15:04:05.000000"), nil
		}
		return strconv.AppendInt(dst, v, 10), nil
	case aFloat:
		b, err := r.take(4, "a float")
		if err != nil {
			return dst, err
		}
		return appendFloat(dst, float64(math.Float32frombits(binary.LittleEndian.Uint32(b))), 32), nil
	case aDouble:
		b, err := r.take(8, "a double")
		if err != nil {
			return dst, err
		}
		return appendFloat(dst, math.Float64frombits(binary.LittleEndian.Uint64(b)), 64), nil
	case aBytes, aString:
		what, whatLen := "a string", "a string length" // constants: no per-value concatenation
		if n.kind == aBytes {
			what, whatLen = "bytes", "bytes length"
		}
		l, err := r.long(whatLen)
		if err != nil {
			return dst, err
		}
		b, err := r.take(l, what)
		if err != nil {
			return dst, err
		}
		if n.kind == aString {
			return AppendString(dst, b), nil
		}
		if n.logical == lDecimal {
			return appendDecimal(dst, b, n.scale), nil
		}
		return appendBase64(dst, b), nil
	case aFixed:
		if n.size > len(r.b)-r.pos {
			_, err := r.take(int64(n.size), "fixed "+n.name)
			return dst, err
		}
		b := r.b[r.pos : r.pos+n.size]
		r.pos += n.size
		if n.logical == lDecimal {
			return appendDecimal(dst, b, n.scale), nil
		}
		return appendBase64(dst, b), nil
	case aEnum:
		i, err := r.long("an enum index")
		if err != nil {
			return dst, err
		}
		if i < 0 || i >= int64(len(n.symbols)) {
			return dst, r.bad("enum %s index %d out of range (%d symbols)", n.name, i, len(n.symbols))
		}
		return append(dst, n.symbols[i]...), nil
	case aUnion:
		i, err := r.long("a union branch")
		if err != nil {
			return dst, err
		}
		if i < 0 || i >= int64(len(n.branches)) {
			return dst, r.bad("union branch %d out of range (%d branches)", i, len(n.branches))
		}
		return r.value(dst, n.branches[i], sel, depth+1)
	case aRecord:
		dst = append(dst, '{')
		first := true
		for i := range n.fields {
			f := &n.fields[i]
			var sub selection
			if sel != nil {
				var ok bool
				if sub, ok = sel[f.name]; !ok {
					if err := r.skip(f.node, depth+1); err != nil {
						return dst, wrapPath(err, f.name)
					}
					continue
				}
			}
			if !first {
				dst = append(dst, ',')
			}
			first = false
			dst = append(dst, f.key...)
			var err error
			if dst, err = r.value(dst, f.node, sub, depth+1); err != nil {
				return dst, wrapPath(err, f.name)
			}
		}
		return append(dst, '}'), nil
	case aArray, aMap:
		open, close := byte('['), byte(']')
		if n.kind == aMap {
			open, close = '{', '}'
		}
		dst = append(dst, open)
		first := true
		err := r.blocks(n, depth, func() error {
			if !first {
				dst = append(dst, ',')
			}
			first = false
			if n.kind == aMap {
				l, err := r.long("a map key length")
				if err != nil {
					return err
				}
				k, err := r.take(l, "a map key")
				if err != nil {
					return err
				}
				dst = AppendString(dst, k)
				dst = append(dst, ':')
			}
			var err error
			dst, err = r.value(dst, n.items, nil, depth+1)
			return err
		})
		if err != nil {
			return dst, err
		}
		return append(dst, close), nil
	}
	return dst, r.bad("unknown schema node")
}

// blocks walks the block-encoded items of an array or map.
func (r *areader) blocks(n *anode, depth int, item func() error) error {
	for {
		count, err := r.long("a block count")
		if err != nil {
			return err
		}
		if count == 0 {
			return nil
		}
		if count < 0 {
			if count == math.MinInt64 {
				return r.bad("block count out of range")
			}
			count = -count
			if _, err := r.long("a block size"); err != nil {
				return err
			}
		}
		if count > maxItems || r.items+int(count) > maxItems {
			return r.bad("more than %d items in one value", maxItems)
		}
		r.items += int(count)
		for ; count > 0; count-- {
			if err := item(); err != nil {
				return err
			}
		}
	}
}

// skip reads past a value without rendering it.
func (r *areader) skip(n *anode, depth int) error {
	if depth > maxValueDepth {
		return r.bad("value nests deeper than %d levels", maxValueDepth)
	}
	switch n.kind {
	case aNull:
		return nil
	case aBool:
		_, err := r.take(1, "a boolean")
		return err
	case aInt, aLong, aEnum:
		_, err := r.long("a number")
		return err
	case aFloat:
		_, err := r.take(4, "a float")
		return err
	case aDouble:
		_, err := r.take(8, "a double")
		return err
	case aBytes, aString:
		l, err := r.long("a length")
		if err != nil {
			return err
		}
		_, err = r.take(l, "bytes")
		return err
	case aFixed:
		_, err := r.take(int64(n.size), "fixed "+n.name)
		return err
	case aUnion:
		i, err := r.long("a union branch")
		if err != nil {
			return err
		}
		if i < 0 || i >= int64(len(n.branches)) {
			return r.bad("union branch %d out of range (%d branches)", i, len(n.branches))
		}
		return r.skip(n.branches[i], depth+1)
	case aRecord:
		for i := range n.fields {
			if err := r.skip(n.fields[i].node, depth+1); err != nil {
				return wrapPath(err, n.fields[i].name)
			}
		}
		return nil
	case aArray, aMap:
		return r.blocks(n, depth, func() error {
			if n.kind == aMap {
				l, err := r.long("a map key length")
				if err != nil {
					return err
				}
				if _, err := r.take(l, "a map key"); err != nil {
					return err
				}
			}
			return r.skip(n.items, depth+1)
		})
	}
	return r.bad("unknown schema node")
}

func clipMsg(s string) string {
	s = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f || (r >= 0x80 && r <= 0x9f) {
			return ' '
		}
		return r
	}, s)
	if len(s) > 200 {
		s = s[:200] + "..."
	}
	return s
}
