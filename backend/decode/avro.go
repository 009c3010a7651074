package decode

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/big"
	"strconv"
	"strings"
	"time"

	"github.com/hamba/avro/v2"
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

type akind uint8

const (
	aNull akind = iota
	aBool
	aInt
	aLong
	aFloat
	aDouble
	aBytes
	aString
	aRecord
	aEnum
	aArray
	aMap
	aUnion
	aFixed
)

type alogical uint8

const (
	lNone alogical = iota
	lDate
	lTimeMillis
	lTimeMicros
	lTsMillis
	lTsMicros
	lLocalTsMillis
	lLocalTsMicros
	lDecimal
)

// anode is one compiled schema node.
type anode struct {
	kind     akind
	logical  alogical
	scale    int
	size     int // fixed
	name     string
	fields   []afield
	symbols  [][]byte // enum symbols, as JSON strings
	syms     []string // the same, raw (encoding)
	items    *anode   // array items, map values
	branches []*anode // union
}

type afield struct {
	name   string
	key    []byte // `"name":`
	node   *anode
	hasDef bool
	def    any // the default as decoded JSON (json.Number for numbers), for encoding
}

// avroSchema is a parsed, compiled Avro schema.
type avroSchema struct {
	root *anode
	name string // full name of the top-level named type, if any
}

// compileAvro parses schema text. refs are the referenced schemas' texts,
// dependencies first; each is parsed into the same private name cache, so
// two schema versions that both define "Shipment" never see each other.
func compileAvro(text string, refs []string) (s *avroSchema, err error) {
	defer func() {
		if r := recover(); r != nil { // hamba on hostile input: never crash the app
			s, err = nil, fmt.Errorf("cannot parse Avro schema: %v", r)
		}
	}()
	cache := &avro.SchemaCache{}
	for i, r := range refs {
		if _, err := avro.ParseWithCache(r, "", cache); err != nil {
			return nil, fmt.Errorf("cannot parse referenced Avro schema %d: %s", i+1, clipMsg(err.Error()))
		}
	}
	sch, err := avro.ParseWithCache(text, "", cache)
	if err != nil {
		return nil, fmt.Errorf("cannot parse Avro schema: %s", clipMsg(err.Error()))
	}
	c := &avroCompiler{named: map[string]*anode{}}
	root, err := c.compile(sch, 0)
	if err != nil {
		return nil, err
	}
	out := &avroSchema{root: root}
	if n, ok := sch.(avro.NamedSchema); ok {
		out.name = n.FullName()
	}
	return out, nil
}

type avroCompiler struct {
	named map[string]*anode
}

const maxSchemaDepth = 200

func (c *avroCompiler) compile(s avro.Schema, depth int) (*anode, error) {
	if depth > maxSchemaDepth {
		return nil, errors.New("Avro schema nests deeper than 200 levels")
	}
	switch s := s.(type) {
	case *avro.RefSchema:
		named := s.Schema()
		if named == nil {
			return nil, errors.New("Avro schema has a dangling reference")
		}
		if n, ok := c.named[named.FullName()]; ok {
			return n, nil
		}
		return c.compile(named, depth+1)
	case *avro.NullSchema:
		return &anode{kind: aNull}, nil
	case *avro.PrimitiveSchema:
		n := &anode{}
		switch s.Type() {
		case avro.Null:
			n.kind = aNull
		case avro.Boolean:
			n.kind = aBool
		case avro.Int:
			n.kind = aInt
		case avro.Long:
			n.kind = aLong
		case avro.Float:
			n.kind = aFloat
		case avro.Double:
			n.kind = aDouble
		case avro.Bytes:
			n.kind = aBytes
		case avro.String:
			n.kind = aString
		default:
			return nil, fmt.Errorf("Avro schema: unknown primitive type %q", s.Type())
		}
		n.logical, n.scale = logicalOf(s.Logical(), n.kind)
		return n, nil
	case *avro.RecordSchema:
		n := &anode{kind: aRecord, name: s.FullName()}
		c.named[n.name] = n // before the fields: a record may contain itself
		for _, f := range s.Fields() {
			fn, err := c.compile(f.Type(), depth+1)
			if err != nil {
				return nil, err
			}
			key := AppendString(nil, []byte(f.Name()))
			af := afield{name: f.Name(), key: append(key, ':'), node: fn, hasDef: f.HasDefault()}
			if af.hasDef {
				af.def = jsonValue(f.Default())
			}
			n.fields = append(n.fields, af)
		}
		return n, nil
	case *avro.EnumSchema:
		n := &anode{kind: aEnum, name: s.FullName()}
		for _, sym := range s.Symbols() {
			n.symbols = append(n.symbols, AppendString(nil, []byte(sym)))
			n.syms = append(n.syms, sym)
		}
		c.named[n.name] = n
		return n, nil
	case *avro.FixedSchema:
		n := &anode{kind: aFixed, name: s.FullName(), size: s.Size()}
		if n.size < 0 {
			return nil, fmt.Errorf("Avro schema: fixed %s has negative size", n.name)
		}
		n.logical, n.scale = logicalOf(s.Logical(), aFixed)
		c.named[n.name] = n
		return n, nil
	case *avro.ArraySchema:
		it, err := c.compile(s.Items(), depth+1)
		if err != nil {
			return nil, err
		}
		return &anode{kind: aArray, items: it}, nil
	case *avro.MapSchema:
		v, err := c.compile(s.Values(), depth+1)
		if err != nil {
			return nil, err
		}
		return &anode{kind: aMap, items: v}, nil
	case *avro.UnionSchema:
		n := &anode{kind: aUnion}
		for _, t := range s.Types() {
			b, err := c.compile(t, depth+1)
			if err != nil {
				return nil, err
			}
			n.branches = append(n.branches, b)
		}
		return n, nil
	}
	return nil, fmt.Errorf("Avro schema: unsupported schema type %T", s)
}

// jsonValue normalises a Go value (a schema default) to what decoding JSON
// with UseNumber gives.
func jsonValue(v any) any {
	b, err := json.Marshal(v)
	if err != nil {
		return nil
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var out any
	if dec.Decode(&out) != nil {
		return nil
	}
	return out
}

func logicalOf(l avro.LogicalSchema, k akind) (alogical, int) {
	if l == nil {
		return lNone, 0
	}
	switch l.Type() {
	case avro.Decimal:
		// A hostile scale would make us pad millions of zeros.
		if d, ok := l.(*avro.DecimalLogicalSchema); ok && (k == aBytes || k == aFixed) && d.Scale() >= 0 && d.Scale() <= 1000 {
			return lDecimal, d.Scale()
		}
	case avro.Date:
		if k == aInt {
			return lDate, 0
		}
	case avro.TimeMillis:
		if k == aInt {
			return lTimeMillis, 0
		}
	case avro.TimeMicros:
		if k == aLong {
			return lTimeMicros, 0
		}
	case avro.TimestampMillis:
		if k == aLong {
			return lTsMillis, 0
		}
	case avro.TimestampMicros:
		if k == aLong {
			return lTsMicros, 0
		}
	case avro.LocalTimestampMillis:
		if k == aLong {
			return lLocalTsMillis, 0
		}
	case avro.LocalTimestampMicros:
		if k == aLong {
			return lLocalTsMicros, 0
		}
	}
	return lNone, 0
}

// Limits on what one hostile payload can make us do.
const (
	maxValueDepth = 200      // nesting of decoded values
	maxItems      = 1 << 20  // array items + map entries per value
	maxOutput     = 64 << 20 // JSON bytes per value
)

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

func appendQuoted(dst []byte, t time.Time, layout string) []byte {
	dst = append(dst, '"')
	dst = t.AppendFormat(dst, layout)
	return append(dst, '"')
}

// appendTimestamp is appendQuoted with the layout
// "2006-01-02T15:04:05.000Z" (frac 3) or ".000000" (frac 6), Z when utc,
// written digit by digit: time.Format is most of an Avro record's decoding
// time. Years outside 0..9999 go through time.Format.
func appendTimestamp(dst []byte, t time.Time, frac int, utc bool) []byte {
	year, month, day := t.Date()
	if year < 0 || year > 9999 {
		layout := "2006-01-02T15:04:05.000"
		if frac == 6 {
			layout += "000"
		}
		if utc {
			layout += "Z07:00"
		}
		return appendQuoted(dst, t, layout)
	}
	hour, min, sec := t.Clock()
	f := t.Nanosecond() / 1000 // micros
	if frac == 3 {
		f /= 1000
	}
	dst = append(dst, '"')
	dst = appendDigits(dst, year, 4)
	dst = append(dst, '-')
	dst = appendDigits(dst, int(month), 2)
	dst = append(dst, '-')
	dst = appendDigits(dst, day, 2)
	dst = append(dst, 'T')
	dst = appendDigits(dst, hour, 2)
	dst = append(dst, ':')
	dst = appendDigits(dst, min, 2)
	dst = append(dst, ':')
	dst = appendDigits(dst, sec, 2)
	dst = append(dst, '.')
	dst = appendDigits(dst, f, frac)
	if utc {
		dst = append(dst, 'Z')
	}
	return append(dst, '"')
}

// appendDigits appends v (>= 0) zero-padded to width digits.
func appendDigits(dst []byte, v, width int) []byte {
	var b [8]byte
	for i := width - 1; i >= 0; i-- {
		b[i] = byte('0' + v%10)
		v /= 10
	}
	return append(dst, b[:width]...)
}

func appendClock(dst []byte, d int64, layout string) []byte {
	return appendQuoted(dst, time.Unix(0, 0).UTC().Add(time.Duration(d)), layout)
}

func appendFloat(dst []byte, f float64, bits int) []byte {
	switch {
	case math.IsNaN(f):
		return append(dst, `"NaN"`...)
	case math.IsInf(f, 1):
		return append(dst, `"Infinity"`...)
	case math.IsInf(f, -1):
		return append(dst, `"-Infinity"`...)
	}
	return strconv.AppendFloat(dst, f, 'g', -1, bits)
}

func appendBase64(dst, b []byte) []byte {
	dst = append(dst, '"')
	dst = base64.StdEncoding.AppendEncode(dst, b)
	return append(dst, '"')
}

// appendDecimal renders a big-endian two's-complement unscaled integer
// with scale digits after the point, as an exact JSON number.
func appendDecimal(dst, b []byte, scale int) []byte {
	if len(b) == 0 {
		return append(dst, '0')
	}
	if len(b) <= 8 { // fits an int64: no big.Int
		u := int64(int8(b[0])) // sign-extended
		for _, c := range b[1:] {
			u = u<<8 | int64(c)
		}
		var tmp [20]byte
		return appendScaled(dst, strconv.AppendInt(tmp[:0], u, 10), scale)
	}
	v := new(big.Int).SetBytes(b)
	if b[0]&0x80 != 0 {
		v.Sub(v, new(big.Int).Lsh(big.NewInt(1), uint(len(b))*8))
	}
	return appendScaled(dst, v.Append(nil, 10), scale)
}

// appendScaled writes the decimal digits of an unscaled integer (with its
// sign) with scale digits after the point.
func appendScaled(dst, digits []byte, scale int) []byte {
	if len(digits) > 0 && digits[0] == '-' {
		dst = append(dst, '-')
		digits = digits[1:]
	}
	if scale <= 0 {
		return append(dst, digits...)
	}
	if len(digits) <= scale { // 0.00ddd
		dst = append(dst, '0', '.')
		for i := len(digits); i < scale; i++ {
			dst = append(dst, '0')
		}
		return append(dst, digits...)
	}
	dst = append(dst, digits[:len(digits)-scale]...)
	dst = append(dst, '.')
	return append(dst, digits[len(digits)-scale:]...)
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
