package project

import (
	"errors"
	"fmt"
	"strings"

	"github.com/expr-lang/expr"
	"github.com/expr-lang/expr/file"

	"github.com/twmb/franz-go/pkg/kgo"
)

// Filter is a record predicate in the projection expression language (the
// Env above: key, value.field, headers["x"], topic, partition, offset,
// timestamp, time), for commands that select records without building a
// table (redrive). Not safe for concurrent use.
//
// Stream "search" builds the shared scan engine over the same language;
// callers take the predicate as an interface so that engine can replace
// this one without changing them.
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
