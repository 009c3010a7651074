package project

import (
	"errors"
	"fmt"
	"strings"

	"github.com/expr-lang/expr"
	"github.com/expr-lang/expr/file"
	"github.com/tidwall/gjson"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/rewind-log/rewind/backend/decode"
)

// Filter is a record predicate in the projection expression language (the
// Env above: key, value.field, headers["x"], topic, partition, offset,
// timestamp, time), for commands that select records without building a
// table (redrive). Not safe for concurrent use.
//
// The scan engine (backend/scan) evaluates searches with Test; redrive
// takes any Match(*kgo.Record) (bool, error).
type Filter struct {
	c   *Compiled
	src string
}

// CompileFilter compiles a boolean expression. The error names the column
// of the offending character.
func CompileFilter(src string) (*Filter, error) {
	if strings.TrimSpace(src) == "" {
		return nil, errors.New("empty filter expression")
	}
	// Compiled alone first for an error that names the column (a spec's
	// errors name a file position).
	if _, err := expr.Compile(src, expr.Env(Env{}), expr.AsBool()); err != nil {
		var fe *file.Error
		if errors.As(err, &fe) {
			return nil, fmt.Errorf("column %d: %s", fe.Column+1, fe.Message)
		}
		return nil, err
	}
	c, err := Compile(&Spec{Filter: src, Aggregate: AggCount})
	if err != nil {
		return nil, err
	}
	c.transient = true // a verdict is all a filter keeps
	return &Filter{c: c, src: src}, nil
}

// String is the expression's source.
func (f *Filter) String() string { return f.src }

// Match reports whether r passes the filter. A tombstone never matches; a
// value that is not JSON matches only when the expression does not use
// value. Runtime errors (a field of the wrong type) are returned; the
// caller counts them and goes on.
func (f *Filter) Match(r *kgo.Record) (bool, error) {
	out, _, _, _, err := f.c.eval(r)
	return out == outApply, err
}

// SetDecoder makes value.field read Avro, Protobuf and JSON Schema values
// too (see Compiled.SetDecoder). d may be nil.
func (f *Filter) SetDecoder(d *decode.Decoder) { f.c.SetDecoder(d) }

// Verdict is what a search makes of one record.
type Verdict uint8

// Verdicts.
const (
	NoMatch    Verdict = iota
	Matched            // the expression is true
	Unreadable         // the expression reads value, which is not JSON and does not decode to it
)

// Test evaluates the filter for a search. Unlike Match it evaluates
// tombstones: value is nil, so value == nil finds them, while an
// expression that only reads fields of value (value.status == "x") does
// not match one. A runtime error (a field of the wrong type) is returned
// with NoMatch; the caller counts it and goes on. err with Unreadable: the
// schema registry could not be asked.
func (f *Filter) Test(r *kgo.Record) (Verdict, error) {
	c := f.c
	_, _, invalid, err := c.bind(r)
	if err != nil || invalid {
		return Unreadable, err
	}
	if r.Value == nil && c.useValue && !c.fullValue {
		return NoMatch, nil
	}
	ok, err := c.vm.Run(c.filter, &c.env)
	if err != nil {
		return NoMatch, err
	}
	b, isBool := ok.(bool)
	switch {
	case !isBool && ok != nil:
		return NoMatch, fmt.Errorf("the expression gave %T %s, not true or false", ok, clip(fmt.Sprint(ok)))
	case b:
		return Matched, nil
	}
	return NoMatch, nil
}

// extractTransient is extract for a filter whose verdict is all that is
// kept, over c.vals (extractVals read them): the same values as extract,
// without a second parse, in the same map for every record. Strings in it
// may point into raw: they must not outlive the evaluation.
func (c *Compiled) extractTransient(raw []byte) any {
	if i := firstByte(raw); i < 0 || raw[i] != '{' {
		return jsonValue(gjson.ParseBytes(raw)) // not an object: whole, as extract
	}
	if c.scratch == nil {
		c.scratch = make(map[string]any, len(c.segs))
	}
	m := c.scratch
	clear(m)
	for i, r := range c.vals {
		if r.Exists() {
			m[c.segs[i][0]] = jsonValue(r)
		}
	}
	return m
}

// firstByte is the index of raw's first byte that is not JSON whitespace,
// or -1.
func firstByte(raw []byte) int {
	for i, b := range raw {
		switch b {
		case ' ', '\t', '\n', '\r':
			continue
		}
		return i
	}
	return -1
}
