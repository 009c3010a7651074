package decode

// Compiling an Avro schema into the tree the decoder walks: kinds,
// logical types and fields resolved once per schema, not per record.

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/hamba/avro/v2"
)

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
		k, ok := primitiveKinds[s.Type()]
		if !ok {
			return nil, fmt.Errorf("Avro schema: unknown primitive type %q", s.Type())
		}
		n := &anode{kind: k}
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

var primitiveKinds = map[avro.Type]akind{
	avro.Null: aNull, avro.Boolean: aBool, avro.Int: aInt, avro.Long: aLong,
	avro.Float: aFloat, avro.Double: aDouble, avro.Bytes: aBytes, avro.String: aString,
}

// logicalKinds: the logical types we render, with the one kind each
// annotates (decimal, which has a scale, aside).
var logicalKinds = map[avro.LogicalType]struct {
	kind    akind
	logical alogical
}{
	avro.Date:                 {aInt, lDate},
	avro.TimeMillis:           {aInt, lTimeMillis},
	avro.TimeMicros:           {aLong, lTimeMicros},
	avro.TimestampMillis:      {aLong, lTsMillis},
	avro.TimestampMicros:      {aLong, lTsMicros},
	avro.LocalTimestampMillis: {aLong, lLocalTsMillis},
	avro.LocalTimestampMicros: {aLong, lLocalTsMicros},
}

func logicalOf(l avro.LogicalSchema, k akind) (alogical, int) {
	if l == nil {
		return lNone, 0
	}
	if l.Type() == avro.Decimal {
		// A hostile scale would make us pad millions of zeros.
		if d, ok := l.(*avro.DecimalLogicalSchema); ok && (k == aBytes || k == aFixed) && d.Scale() >= 0 && d.Scale() <= 1000 {
			return lDecimal, d.Scale()
		}
		return lNone, 0
	}
	if lk, ok := logicalKinds[l.Type()]; ok && lk.kind == k {
		return lk.logical, 0
	}
	return lNone, 0
}

// Limits on what one hostile payload can make us do.
const (
	maxValueDepth = 200      // nesting of decoded values
	maxItems      = 1 << 20  // array items + map entries per value
	maxOutput     = 64 << 20 // JSON bytes per value
)
