package project

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"sort"
	"strings"
	"time"

	"github.com/expr-lang/expr"
	"github.com/expr-lang/expr/ast"
	"github.com/expr-lang/expr/file"
	"github.com/expr-lang/expr/vm"
	"github.com/rewind-log/rewind/backend/decode"
	"github.com/tidwall/gjson"
	"github.com/twmb/franz-go/pkg/kgo"
)

// Env is what an expression sees for one record.
//
//	key        string             the record key (a null key is "")
//	value      any                the value decoded as JSON (objects are
//	                              map[string]any, numbers float64); nil for
//	                              a tombstone
//	headers    map[string]string  record headers (last one wins per name)
//	topic      string
//	partition  int
//	offset     int
//	timestamp  int                the record timestamp in unix milliseconds
//	time       time.Time          the same timestamp as a time (UTC), for
//	                              expr-lang's date functions
type Env struct {
	Key       string            `expr:"key"`
	Value     any               `expr:"value"`
	Headers   map[string]string `expr:"headers"`
	Topic     string            `expr:"topic"`
	Partition int               `expr:"partition"`
	Offset    int               `expr:"offset"`
	Timestamp int               `expr:"timestamp"`
	Time      time.Time         `expr:"time"`
}

// Compiled is a spec with its expressions compiled and the JSON fields they
// use worked out. Not safe for concurrent use (it reuses one VM).
type Compiled struct {
	Spec   *Spec
	filter *vm.Program
	key    *vm.Program // nil: the record key
	value  *vm.Program // nil: the raw record value (latest only)

	fullValue bool     // some expression uses value as a whole
	paths     []string // else: the value fields used, as gjson paths
	segs      [][]string
	useValue  bool
	useHdrs   bool
	useTime   bool

	// Fast path: expressions that are just value.a.b (or key) are read
	// straight from the extracted fields, without the VM, and value is not
	// built as a map when no other expression needs it.
	keyDirect, valueDirect int // index into paths; -1: use the VM
	keyIsKey               bool
	useKey                 bool
	needMap                bool
	topLevel               bool // every path is one segment: one pass over the object
	vals                   []gjson.Result
	valErr                 []error // per path: reading it failed (see extractVals)
	memberFn               func(key []byte, esc bool, v []byte)

	vm  vm.VM
	env Env

	// transient: only the filter's verdict is kept (CompileFilter), so
	// the value map is reused and may point into the record's bytes.
	transient bool
	scratch   map[string]any

	// dec decodes values (Avro, Protobuf, JSON Schema through the
	// registry) to JSON before the expressions read them; nil: values
	// are read as JSON, as stored. See SetDecoder.
	dec    *decode.Decoder
	decSel decode.Selection
	decBuf []byte
}

// SetDecoder makes the expressions see decoded values: value.field works
// the same on Avro, Protobuf and JSON records. For Avro only the fields
// the expressions use are rendered (the others are skipped); Protobuf
// messages are decoded whole. A value no decoder turns into JSON counts
// as invalid, like a value that is not JSON. d may be nil.
func (c *Compiled) SetDecoder(d *decode.Decoder) {
	c.dec = d
	c.decSel = nil
	if !c.fullValue && !(c.Spec.Aggregate == AggLatest && c.value == nil) && len(c.segs) > 0 {
		c.decSel = decode.SelectPaths(c.segs)
	}
}

// ErrRegistryDown stops a projection run: a record whose schema cannot be
// fetched is neither applied nor skipped (the run fails before its batch
// is checkpointed, and resumes from there once the registry answers).
var ErrRegistryDown = errors.New("schema registry not answering")

// valueJSON is the record value the expressions read: as stored, or
// decoded (decoded is true: the bytes are reused by the next record).
func (c *Compiled) valueJSON(r *kgo.Record) (b []byte, decoded, ok bool, err error) {
	if c.dec == nil || looksJSON(r.Value) {
		return r.Value, false, true, nil // JSON is read as before: only the fields used
	}
	res := c.dec.DecodeWith(context.Background(), r.Topic, false, r.Value, c.decBuf, decode.Options{Fields: c.decSel, Verbatim: true})
	if res.RegistryDown {
		return nil, false, false, fmt.Errorf("%w: %s", ErrRegistryDown, strings.Join(res.Reasons(), "; "))
	}
	if !res.Format.Structured() {
		return nil, false, false, nil
	}
	c.decBuf = res.JSON[:0]
	return res.JSON, true, true, nil
}

// Compile compiles a parsed spec's expressions; errors carry the file
// position of the offending character (YAML node position + expr column).
func Compile(s *Spec) (*Compiled, error) {
	c := &Compiled{Spec: s, keyDirect: -1, valueDirect: -1}
	var errs SpecErrors
	direct := map[string]string{} // field -> path when the expression is value.a.b
	viaVM := map[string]bool{}    // field -> uses value through the VM
	fields := map[string]bool{}
	comp := func(field, src string, opts ...expr.Option) *vm.Program {
		if strings.TrimSpace(src) == "" {
			if s.pos[field] != nil {
				n := s.pos[field]
				errs = append(errs, &SpecError{File: s.File, Line: n.Line, Column: n.Column, Field: field, Msg: "empty expression"})
			}
			return nil
		}
		opts = append([]expr.Option{expr.Env(Env{})}, opts...)
		p, err := expr.Compile(src, opts...)
		if err != nil {
			errs = append(errs, exprError(s, field, err))
			return nil
		}
		c.analyse(p.Node(), fields)
		// Only key and value read a direct path without the VM; a filter
		// that is just value.flag runs in the VM and needs the map.
		if segs, ok := directPath(p.Node()); ok && field != "filter" {
			direct[field] = strings.Join(segs, "\x00")
		} else if usesIdent(p.Node(), "value") {
			viaVM[field] = true
		}
		if id, ok := p.Node().(*ast.IdentifierNode); ok && id.Value == "key" && field == "key" {
			c.keyIsKey = true
		}
		return p
	}
	c.filter = comp("filter", s.Filter, expr.AsBool())
	if c.filter != nil {
		// AsBool refuses a filter whose type is known and not bool; one
		// built by arithmetic on fields (value.amount + 1) has no static
		// type but can never be a condition: refuse it before consuming.
		if op, ok := arithmetic(c.filter.Node()); ok {
			errs = append(errs, exprError(s, "filter", fmt.Errorf("the filter is a number (%s), not a condition: compare it, e.g. value.amount > 100", op)))
			c.filter = nil
		}
	}
	if s.Key != "" || s.pos["key"] != nil {
		c.key = comp("key", s.Key)
	}
	if s.Value != "" || s.pos["value"] != nil {
		c.value = comp("value", s.Value)
	}
	if len(errs) > 0 {
		return nil, errs
	}
	if !c.fullValue {
		var ps []string
		for p := range fields {
			ps = append(ps, p)
		}
		sort.Strings(ps)
		// Keep the shortest paths: "items" covers "items.sku".
		for _, p := range ps {
			if n := len(c.paths); n > 0 && strings.HasPrefix(p, c.paths[n-1]+"\x00") {
				continue
			}
			c.paths = append(c.paths, p)
		}
		for i, p := range c.paths {
			segs := strings.Split(p, "\x00")
			c.segs = append(c.segs, segs)
			esc := make([]string, len(segs))
			for j, sg := range segs {
				esc[j] = gjson.Escape(sg)
			}
			c.paths[i] = strings.Join(esc, ".")
		}
	}
	if c.value == nil && s.Aggregate == AggLatest {
		c.useValue = true // the stored value is the record value
	}
	c.needMap = c.fullValue || len(viaVM) > 0
	if c.key == nil {
		c.useKey = true
	}
	if !c.fullValue {
		raw := make([]string, len(c.segs))
		c.topLevel = true
		for i, sg := range c.segs {
			raw[i] = strings.Join(sg, "\x00")
			if len(sg) != 1 {
				c.topLevel = false
			}
		}
		idx := func(field string) int {
			if p, ok := direct[field]; ok {
				for i, r := range raw {
					if r == p {
						return i
					}
				}
			}
			return -1
		}
		c.keyDirect, c.valueDirect = idx("key"), idx("value")
		if (c.key != nil && c.keyDirect < 0 && direct["key"] != "") || (c.value != nil && c.valueDirect < 0 && direct["value"] != "") {
			c.needMap = true // a direct path folded into a shorter one
		}
		c.vals = make([]gjson.Result, len(c.paths))
		c.valErr = make([]error, len(c.paths))
	}
	return c, nil
}

// Fields reports the JSON fields of value the expressions use (gjson
// paths), or nil and true when some expression uses value as a whole.
func (c *Compiled) Fields() ([]string, bool) { return c.paths, c.fullValue }

func exprError(s *Spec, field string, err error) *SpecError {
	n := s.pos[field]
	e := &SpecError{File: s.File, Field: field, Msg: err.Error()}
	if n != nil {
		e.Line, e.Column = n.Line, n.Column
	}
	var fe *file.Error
	if errors.As(err, &fe) {
		e.Msg = fe.Message
		if n != nil {
			e.Line, e.Column = exprPos(n, []byte(s.Source), max(fe.Line, 1), fe.Column)
		}
	}
	return e
}

// analyse records which parts of the record an expression uses.
func (c *Compiled) analyse(root ast.Node, fields map[string]bool) {
	var members []*ast.MemberNode
	var idents []*ast.IdentifierNode
	ast.Walk(&root, visitor(func(n ast.Node) {
		switch n := n.(type) {
		case *ast.MemberNode:
			members = append(members, n)
		case *ast.IdentifierNode:
			idents = append(idents, n)
		}
	}))
	// inner: nodes that are the object of a constant-name member access.
	inner := map[ast.Node]bool{}
	path := map[ast.Node][]string{}
	var pathOf func(n ast.Node) ([]string, bool)
	pathOf = func(n ast.Node) ([]string, bool) {
		switch n := n.(type) {
		case *ast.IdentifierNode:
			return nil, n.Value == "value"
		case *ast.ChainNode:
			return pathOf(n.Node)
		case *ast.MemberNode:
			prop, ok := n.Property.(*ast.StringNode)
			if !ok {
				return nil, false
			}
			p, ok := pathOf(n.Node)
			if !ok {
				return nil, false
			}
			return append(append([]string(nil), p...), prop.Value), true
		}
		return nil, false
	}
	for _, m := range members {
		if _, ok := m.Property.(*ast.StringNode); ok {
			inner[m.Node] = true
			if ch, ok := m.Node.(*ast.ChainNode); ok {
				inner[ch.Node] = true
			}
		}
		if p, ok := pathOf(m); ok {
			path[m] = p
		}
	}
	for _, m := range members {
		if p, ok := path[m]; ok && !inner[m] {
			fields[strings.Join(p, "\x00")] = true
		}
	}
	for _, id := range idents {
		switch id.Value {
		case "value":
			c.useValue = true
			if !inner[id] {
				c.fullValue = true
			}
		case "headers":
			c.useHdrs = true
		case "key":
			c.useKey = true
		case "time":
			c.useTime = true
		}
	}
}

// arithmetic reports an expression whose result is a number by its form:
// an arithmetic operator or a numeric literal at the top.
func arithmetic(n ast.Node) (string, bool) {
	switch n := n.(type) {
	case *ast.BinaryNode:
		switch n.Operator {
		case "+", "-", "*", "/", "%", "**", "^":
			return "operator " + n.Operator, true
		}
	case *ast.UnaryNode:
		if n.Operator == "-" || n.Operator == "+" {
			return "operator " + n.Operator, true
		}
	case *ast.IntegerNode, *ast.FloatNode:
		return "a number", true
	}
	return "", false
}

// directPath reports whether an expression is just value.a.b...
func directPath(n ast.Node) ([]string, bool) {
	var segs []string
	for {
		switch m := n.(type) {
		case *ast.MemberNode:
			p, ok := m.Property.(*ast.StringNode)
			if !ok {
				return nil, false
			}
			segs = append([]string{p.Value}, segs...)
			n = m.Node
		case *ast.ChainNode:
			n = m.Node
		case *ast.IdentifierNode:
			return segs, m.Value == "value" && len(segs) > 0
		default:
			return nil, false
		}
	}
}

func usesIdent(root ast.Node, name string) bool {
	found := false
	ast.Walk(&root, visitor(func(n ast.Node) {
		if id, ok := n.(*ast.IdentifierNode); ok && id.Value == name {
			found = true
		}
	}))
	return found
}

type visitor func(ast.Node)

func (v visitor) Visit(n *ast.Node) { v(*n) }

// outcome of evaluating a record.
type outcome int

const (
	outSkip      outcome = iota // filtered out, or null key/value
	outApply                    // apply to the table
	outTombstone                // latest: delete the key
	outInvalid                  // value is not JSON
)

// bind points the env at r and reads its value as far as the expressions
// use it: only the fields named (decoded first when a decoder is set).
// invalid: the value is needed but is not JSON and does not decode to it;
// err: the decoder could not ask the registry. decoded: raw is the
// decoder's buffer, reused by the next record.
func (c *Compiled) bind(r *kgo.Record) (raw []byte, decoded, invalid bool, err error) {
	e := &c.env
	if c.useKey {
		e.Key = string(r.Key)
	}
	e.Topic = r.Topic
	e.Partition = int(r.Partition)
	e.Offset = int(r.Offset)
	e.Timestamp = int(r.Timestamp.UnixMilli())
	if c.useTime {
		e.Time = r.Timestamp.UTC()
	}
	e.Headers = nil
	if c.useHdrs {
		e.Headers = make(map[string]string, len(r.Headers))
		for _, h := range r.Headers {
			e.Headers[h.Key] = string(h.Value)
		}
	}
	tomb := r.Value == nil
	e.Value = nil
	raw = r.Value
	if c.useValue && !tomb {
		var ok bool
		if raw, decoded, ok, err = c.valueJSON(r); err != nil || !ok {
			return nil, false, true, err
		}
	}
	if c.useValue && !tomb {
		if !c.fullValue && !c.needMap {
			// Fast path: only the fields used are read. The value must
			// be valid JSON as a whole, as on the full path: a truncated
			// value is invalid, never a record with some fields missing.
			if !c.extractVals(raw) {
				return nil, false, true, nil
			}
		} else if c.transient && c.topLevel && !c.fullValue {
			// A search: one pass validates the value and reads the
			// top-level fields used, into one reused map.
			if !c.extractVals(raw) {
				return nil, false, true, nil
			}
			e.Value = c.extractTransient(raw)
		} else if _, ok := scanJSON(raw, nil); !ok {
			return nil, false, true, nil
		} else if c.fullValue {
			// gjson, as the fast path: the same duplicate-key rule (the
			// last wins) and the same numbers (1e400 is +Inf, refused
			// below) whichever path an expression takes.
			e.Value = jsonValue(gjson.ParseBytes(raw))
		} else {
			e.Value = c.extract(raw)
		}
	}
	return raw, decoded, false, nil
}

// eval evaluates the spec for one record: whether it passes the filter, its
// table key and (for numeric aggregates) its number, or (for latest) the
// JSON to store. Runtime errors are returned; the caller counts and skips.
func (c *Compiled) eval(r *kgo.Record) (out outcome, key string, num float64, stored []byte, err error) {
	raw, decoded, invalid, err := c.bind(r)
	if invalid || err != nil {
		return outInvalid, "", 0, nil, err
	}
	e := &c.env
	tomb := r.Value == nil
	// Tombstones are not filtered: for latest they delete the key.
	if c.filter != nil && !tomb {
		ok, err := c.vm.Run(c.filter, e)
		if err != nil {
			return outSkip, "", 0, nil, fmt.Errorf("filter: %w", err)
		}
		if b, _ := ok.(bool); !b {
			return outSkip, "", 0, nil, nil
		}
	}
	agg := c.Spec.Aggregate
	if tomb && agg != AggLatest {
		return outSkip, "", 0, nil, nil
	}
	switch {
	case c.key == nil || c.keyIsKey:
		key = e.Key
	case c.keyDirect >= 0 && !c.needMap:
		if err := c.valErr[c.keyDirect]; err != nil {
			return outSkip, "", 0, nil, fmt.Errorf("key: %w", err)
		}
		var ok bool
		if key, ok = resultKey(c.vals[c.keyDirect]); !ok {
			return outSkip, "", 0, nil, nil
		}
	default:
		k, err := c.vm.Run(c.key, e)
		if err != nil {
			return outSkip, "", 0, nil, fmt.Errorf("key: %w", err)
		}
		var ok bool
		if key, ok = keyString(k); !ok {
			return outSkip, "", 0, nil, nil
		}
	}
	if tomb {
		return outTombstone, key, 0, nil, nil
	}
	switch {
	case agg == AggCount:
		return outApply, key, 0, nil, nil
	case agg == AggLatest && c.value == nil:
		if decoded {
			raw = append([]byte(nil), raw...) // the buffer is the next record's
		}
		return outApply, key, 0, raw, nil
	}
	if c.valueDirect >= 0 && !c.needMap {
		if err := c.valErr[c.valueDirect]; err != nil {
			return outSkip, "", 0, nil, fmt.Errorf("value: %w", err)
		}
	}
	if c.valueDirect >= 0 && !c.needMap && agg != AggLatest {
		res := c.vals[c.valueDirect]
		switch res.Type {
		case gjson.Number:
			if math.IsNaN(res.Num) || math.IsInf(res.Num, 0) {
				return outSkip, "", 0, nil, fmt.Errorf("value: %s is not a finite number", clip(res.Raw))
			}
			return outApply, key, res.Num, nil, nil
		case gjson.Null:
			return outSkip, "", 0, nil, nil
		}
		if !res.Exists() {
			return outSkip, "", 0, nil, nil
		}
		return outSkip, "", 0, nil, fmt.Errorf("value: %s needs a number, got %s", agg, clip(res.Raw))
	}
	var v any
	if c.valueDirect >= 0 && !c.needMap {
		v = jsonValue(c.vals[c.valueDirect])
	} else if v, err = c.vm.Run(c.value, e); err != nil {
		return outSkip, "", 0, nil, fmt.Errorf("value: %w", err)
	}
	if agg == AggLatest {
		if v == nil {
			return outTombstone, key, 0, nil, nil
		}
		b, err := json.Marshal(v)
		if err != nil {
			return outSkip, "", 0, nil, fmt.Errorf("value: %w", err)
		}
		return outApply, key, 0, b, nil
	}
	if v == nil {
		return outSkip, "", 0, nil, nil // like SQL: null values are not aggregated
	}
	f, ok := toFloat(v)
	if !ok {
		return outSkip, "", 0, nil, fmt.Errorf("value: %s needs a number, got %T %v", agg, v, clip(fmt.Sprint(v)))
	}
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return outSkip, "", 0, nil, fmt.Errorf("value: %v is not a finite number", f)
	}
	return outApply, key, f, nil, nil
}
