// Package scan is the one scan engine behind searches and exports, shared
// by the CLI (consume --filter, --file) and the TUI (search, export): it
// reads a range of a topic through the read engine (backend.Cluster.Read:
// exact positions, read-committed, stalls reported), evaluates a query on
// every record in parallel, and delivers matches in per-partition offset
// order. Memory follows the fetch size, not the topic.
//
// A query is an expression in the projection language (project.Filter:
// key, value.field, headers["x"], partition, offset, timestamp, time)
// plus shorthands that need no decoding: an exact key, a substring of the
// key, value or headers, and a header name (with a value).
package scan

import (
	"bytes"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/rewind-log/rewind/backend/decode"
	"github.com/rewind-log/rewind/project"
)

// Query selects records; every part that is set must hold.
type Query struct {
	// Expr is a boolean expression (see project.Filter); "" is none.
	Expr string
	// Key, when HasKey, must equal the record key's bytes (a null key
	// never matches). It also picks the partition to scan: see Spec.
	Key    []byte
	HasKey bool
	// Contains must occur in the key, the value, or a header's name or
	// value (bytes, case-sensitive).
	Contains []byte
	// Headers must each be present (with that value when HasValue).
	Headers []HeaderCond
}

// HeaderCond is one --header NAME[=VALUE] condition.
type HeaderCond struct {
	Name     string
	Value    []byte
	HasValue bool
}

// ParseHeader parses NAME or NAME=VALUE.
func ParseHeader(s string) (HeaderCond, error) {
	name, val, ok := strings.Cut(s, "=")
	if name == "" {
		return HeaderCond{}, fmt.Errorf("header condition %q: want NAME or NAME=VALUE", s)
	}
	return HeaderCond{Name: name, Value: []byte(val), HasValue: ok}, nil
}

func (h HeaderCond) String() string {
	if h.HasValue {
		return h.Name + "=" + string(h.Value)
	}
	return h.Name
}

// Empty reports whether q selects every record.
func (q Query) Empty() bool {
	return strings.TrimSpace(q.Expr) == "" && !q.HasKey && q.Contains == nil && len(q.Headers) == 0
}

// String describes q in the CLI's terms, for summaries and the audit trail.
func (q Query) String() string {
	var parts []string
	if q.HasKey {
		parts = append(parts, "key "+strconv.Quote(string(q.Key)))
	}
	if q.Contains != nil {
		parts = append(parts, "contains "+strconv.Quote(string(q.Contains)))
	}
	for _, h := range q.Headers {
		parts = append(parts, "header "+strconv.Quote(h.String()))
	}
	if e := strings.TrimSpace(q.Expr); e != "" {
		parts = append(parts, e)
	}
	if len(parts) == 0 {
		return "every record"
	}
	return strings.Join(parts, " and ")
}

// ParsePrompt reads what a person types into the TUI's search prompt: a
// bare quoted string ("c-0042") is a Contains search, anything else an
// expression.
func ParsePrompt(s string) (Query, error) {
	t := strings.TrimSpace(s)
	if t == "" {
		return Query{}, errors.New("type an expression (value.customer_id == \"c-1\") or a quoted text (\"c-1\")")
	}
	if len(t) >= 2 && (t[0] == '"' || t[0] == '\'' || t[0] == '`') && t[len(t)-1] == t[0] {
		if u, err := unquote(t); err == nil {
			if u == "" {
				return Query{}, errors.New("empty text: type something between the quotes")
			}
			return Query{Contains: []byte(u)}, nil
		}
	}
	q := Query{Expr: t}
	if _, err := Compile(q, nil); err != nil {
		return Query{}, err
	}
	return q, nil
}

func unquote(t string) (string, error) {
	if t[0] == '\'' {
		// Single quotes as in the expression language: no escapes needed
		// for a double quote inside.
		inner := t[1 : len(t)-1]
		if strings.ContainsRune(inner, '\'') {
			return "", errors.New("quote inside")
		}
		return inner, nil
	}
	return strconv.Unquote(t)
}

// Matcher evaluates a query on one record at a time. Not safe for
// concurrent use: the scan engine compiles one per worker.
type Matcher struct {
	q      Query
	sub    string // q.Contains, for header names
	filter *project.Filter
}

// Compile checks and compiles q; dec (may be nil) decodes Avro, Protobuf
// and JSON Schema values for value.field. The error of a bad expression
// names its column.
func Compile(q Query, dec *decode.Decoder) (*Matcher, error) {
	m := &Matcher{q: q, sub: string(q.Contains)}
	if strings.TrimSpace(q.Expr) != "" {
		f, err := project.CompileFilter(q.Expr)
		if err != nil {
			return nil, err
		}
		f.SetDecoder(dec)
		m.filter = f
	}
	for _, h := range q.Headers {
		if h.Name == "" {
			return nil, errors.New("header condition without a name")
		}
	}
	return m, nil
}

// Verdict is what a Matcher makes of a record.
type Verdict uint8

// Verdicts.
const (
	Miss Verdict = iota
	Hit
	// Unreadable: the expression reads value, which is neither JSON nor
	// decodes to it (binary, or a schema that does not fit).
	Unreadable
	// Failed: the expression failed at run time on this record (a field
	// of another type); counted, and the scan goes on.
	Failed
)

// ErrRegistryDown: a value could not be decoded because the schema
// registry did not answer. A scan stops on it: going on would silently
// miss the records it cannot read.
var ErrRegistryDown = project.ErrRegistryDown

// Test evaluates the query on r. err is set with Failed (the expression's
// runtime error) and with Unreadable when the registry is down (wrapping
// ErrRegistryDown).
func (m *Matcher) Test(r *kgo.Record) (Verdict, error) {
	q := &m.q
	if q.HasKey && (r.Key == nil || !bytes.Equal(r.Key, q.Key)) {
		return Miss, nil
	}
	for _, h := range q.Headers {
		if !hasHeader(r, h) {
			return Miss, nil
		}
	}
	if q.Contains != nil && !contains(r, q.Contains, m.sub) {
		return Miss, nil
	}
	if m.filter == nil {
		return Hit, nil
	}
	v, err := m.filter.Test(r)
	switch {
	case v == project.Unreadable:
		return Unreadable, err
	case err != nil:
		return Failed, err
	case v == project.Matched:
		return Hit, nil
	}
	return Miss, nil
}

// Match reports whether r matches (admin.Matcher: redrive selects records
// with it). An unreadable value does not match; a runtime error is
// returned for the caller to count.
func (m *Matcher) Match(r *kgo.Record) (bool, error) {
	v, err := m.Test(r)
	return v == Hit, err
}

func hasHeader(r *kgo.Record, c HeaderCond) bool {
	for _, h := range r.Headers {
		if h.Key == c.Name && (!c.HasValue || bytes.Equal(h.Value, c.Value)) {
			return true
		}
	}
	return false
}

func contains(r *kgo.Record, b []byte, s string) bool {
	if bytes.Contains(r.Key, b) || bytes.Contains(r.Value, b) {
		return true
	}
	for _, h := range r.Headers {
		if strings.Contains(h.Key, s) || bytes.Contains(h.Value, b) {
			return true
		}
	}
	return false
}
