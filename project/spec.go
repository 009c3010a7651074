// Package project is rewind's projection engine: a declared view of one or
// more topics (spec + expr-lang expressions), rebuilt by replaying the log in
// an isolated consumer group into a Pebble state store whose consumed offsets
// are checkpointed in the same atomic batch as the state; two runs compared
// side by side by streaming their sorted tables; a table published back as a
// compacted changelog or exported. No UI imports.
package project

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"strings"

	"gopkg.in/yaml.v3"
)

// Aggregates.
const (
	AggLatest = "latest"
	AggCount  = "count"
	AggSum    = "sum"
	AggMin    = "min"
	AggMax    = "max"
	AggAvg    = "avg"
)

var aggregates = []string{AggLatest, AggCount, AggSum, AggMin, AggMax, AggAvg}

// Spec is a projection declaration as written in its file.
type Spec struct {
	Name      string   `json:"name"`
	Topics    []string `json:"topics"`
	Filter    string   `json:"filter,omitempty"`
	Key       string   `json:"key,omitempty"`
	Aggregate string   `json:"aggregate"`
	Value     string   `json:"value,omitempty"`
	From      string   `json:"from,omitempty"`

	// File is the path the spec was read from ("" when parsed from bytes
	// without one); Source is its text, copied into every run.
	File   string `json:"file,omitempty"`
	Source string `json:"-"`

	pos map[string]*yaml.Node // field -> value node, for error positions
}

// Hash identifies the spec's meaning (its text): a run is resumed only with
// the spec it started with.
func (s *Spec) Hash() string {
	h := sha256.Sum256([]byte(s.Source))
	return hex.EncodeToString(h[:8])
}

// SpecError is one problem in a spec, at a position in its file.
type SpecError struct {
	File   string
	Line   int
	Column int
	Field  string // "" for the document as a whole
	Msg    string
}

func (e *SpecError) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	if e.Line > 0 {
		fmt.Fprintf(&b, ":%d:%d", e.Line, e.Column)
	}
	b.WriteString(": ")
	if e.Field != "" {
		b.WriteString(e.Field + ": ")
	}
	b.WriteString(e.Msg)
	return b.String()
}

// SpecErrors is every problem found in a spec; a spec with any is refused
// before anything is consumed.
type SpecErrors []*SpecError

func (e SpecErrors) Error() string {
	s := make([]string, len(e))
	for i, x := range e {
		s[i] = x.Error()
	}
	return strings.Join(s, "; ")
}

// ErrSpec matches every spec error with errors.Is.
var ErrSpec = errors.New("bad projection spec")

// Is makes errors.Is(err, ErrSpec) true.
func (e SpecErrors) Is(target error) bool { return target == ErrSpec }

var nameRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$`)

// LoadSpec reads, parses and compiles a spec file: every problem (YAML,
// missing fields, unknown aggregate, expression errors) is reported with
// file:line:column before anything is consumed.
func LoadSpec(path string) (*Spec, *Compiled, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, fmt.Errorf("projection spec: %w", err)
	}
	defer f.Close()
	// Read at most one byte past the limit: a 60 MB file is refused
	// without being read (or parsed) whole.
	data, err := io.ReadAll(io.LimitReader(f, MaxSpecSize+1))
	if err != nil {
		return nil, nil, fmt.Errorf("projection spec %s: %w", path, err)
	}
	if len(data) > MaxSpecSize {
		return nil, nil, fmt.Errorf("projection spec %s: larger than %d KiB: a spec is a few lines of YAML; is this the right file?", path, MaxSpecSize>>10)
	}
	s, err := ParseSpec(path, data)
	if err != nil {
		return nil, nil, err
	}
	c, err := Compile(s)
	if err != nil {
		return nil, nil, err
	}
	return s, c, nil
}

// MaxSpecSize bounds a spec file (1 MiB): specs are small, and parsing
// is refused before it starts for anything bigger.
const MaxSpecSize = 1 << 20

// ParseSpec parses a spec's text; file names it in errors.
func ParseSpec(file string, data []byte) (*Spec, error) {
	if file == "" {
		file = "<spec>"
	}
	if len(data) > MaxSpecSize {
		return nil, fmt.Errorf("projection spec %s: larger than %d KiB: refused before parsing", file, MaxSpecSize>>10)
	}
	s := &Spec{File: file, Source: string(data), pos: map[string]*yaml.Node{}}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, SpecErrors{yamlError(file, err)}
	}
	if len(doc.Content) == 0 {
		return nil, SpecErrors{{File: file, Msg: "empty spec: want name, topic, key, aggregate"}}
	}
	root := doc.Content[0]
	if root.Kind != yaml.MappingNode {
		return nil, SpecErrors{{File: file, Line: root.Line, Column: root.Column, Msg: "a spec is a mapping of name, topic, filter, key, aggregate, value, from"}}
	}
	var errs SpecErrors
	bad := func(n *yaml.Node, field, format string, args ...any) {
		errs = append(errs, &SpecError{File: file, Line: n.Line, Column: n.Column, Field: field, Msg: fmt.Sprintf(format, args...)})
	}
	scalar := func(k, v *yaml.Node, dst *string) {
		if v.Kind != yaml.ScalarNode || v.Tag == "!!null" {
			bad(v, k.Value, "want a string")
			return
		}
		*dst = v.Value
	}
	for i := 0; i+1 < len(root.Content); i += 2 {
		k, v := root.Content[i], root.Content[i+1]
		if _, dup := s.pos[k.Value]; dup {
			bad(k, k.Value, "given twice")
			continue
		}
		s.pos[k.Value] = v
		switch k.Value {
		case "name":
			scalar(k, v, &s.Name)
		case "topic", "topics":
			switch v.Kind {
			case yaml.ScalarNode:
				if v.Value != "" {
					s.Topics = []string{v.Value}
				}
			case yaml.SequenceNode:
				for _, t := range v.Content {
					if t.Kind != yaml.ScalarNode || t.Value == "" {
						bad(t, k.Value, "want a topic name")
						continue
					}
					if contains(s.Topics, t.Value) {
						bad(t, k.Value, "topic %q listed twice", t.Value)
						continue
					}
					s.Topics = append(s.Topics, t.Value)
				}
			default:
				bad(v, k.Value, "want a topic name or a list of them")
			}
			s.pos["topic"] = v
		case "filter":
			scalar(k, v, &s.Filter)
		case "key":
			scalar(k, v, &s.Key)
		case "aggregate":
			scalar(k, v, &s.Aggregate)
		case "value":
			scalar(k, v, &s.Value)
		case "from":
			scalar(k, v, &s.From)
		default:
			bad(k, "", "unknown field %q (want name, topic, filter, key, aggregate, value, from)", k.Value)
		}
	}
	at := func(field string) *yaml.Node {
		if n := s.pos[field]; n != nil {
			return n
		}
		return root
	}
	switch {
	case s.Name == "" && s.pos["name"] == nil:
		bad(root, "name", "missing (a name like revenue_v2)")
	case !nameRE.MatchString(s.Name):
		bad(at("name"), "name", "%q: use letters, digits, '.', '_' or '-' (at most 100)", s.Name)
	}
	if len(s.Topics) == 0 && s.pos["topic"] == nil {
		bad(root, "topic", "missing (a topic or a list of topics)")
	} else if len(s.Topics) == 0 {
		bad(at("topic"), "topic", "empty")
	}
	switch {
	case s.Aggregate == "" && s.pos["aggregate"] == nil:
		bad(root, "aggregate", "missing (one of %s)", strings.Join(aggregates, ", "))
	case !contains(aggregates, s.Aggregate):
		bad(at("aggregate"), "aggregate", "unknown aggregate %q (want one of %s)", s.Aggregate, strings.Join(aggregates, ", "))
	}
	if s.Aggregate == AggCount && s.Value != "" {
		bad(at("value"), "value", "count counts records: it takes no value expression")
	}
	if isNumeric(s.Aggregate) && s.Value == "" && s.pos["value"] == nil {
		bad(root, "value", "%s needs a value expression (a number, e.g. value.amount)", s.Aggregate)
	}
	if len(errs) > 0 {
		return nil, errs
	}
	return s, nil
}

func isNumeric(agg string) bool {
	return agg == AggSum || agg == AggMin || agg == AggMax || agg == AggAvg
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

var yamlLineRE = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

func yamlError(file string, err error) *SpecError {
	msg := strings.TrimSpace(err.Error())
	if m := yamlLineRE.FindStringSubmatch(msg); m != nil {
		var line int
		fmt.Sscan(m[1], &line)
		return &SpecError{File: file, Line: line, Column: 1, Msg: m[2]}
	}
	return &SpecError{File: file, Msg: strings.TrimPrefix(msg, "yaml: ")}
}

// exprPos maps a position in an expression (1-based line, 0-based column,
// as expr-lang reports them) to a position in the spec file.
func exprPos(n *yaml.Node, src []byte, line, col int) (int, int) {
	if n == nil {
		return 0, 0
	}
	switch {
	case n.Style&(yaml.LiteralStyle|yaml.FoldedStyle) != 0:
		// Block scalar: the text starts on the next line, indented.
		indent := blockIndent(src, n.Line+1)
		return n.Line + line, indent + col + 1
	case n.Style&(yaml.SingleQuotedStyle|yaml.DoubleQuotedStyle) != 0:
		if line > 1 {
			return n.Line + line - 1, col + 1
		}
		return n.Line, n.Column + 1 + col
	}
	if line > 1 {
		return n.Line + line - 1, col + 1
	}
	return n.Line, n.Column + col
}

func blockIndent(src []byte, line int) int {
	lines := bytes.Split(src, []byte("\n"))
	if line-1 < 0 || line-1 >= len(lines) {
		return 0
	}
	l := lines[line-1]
	return len(l) - len(bytes.TrimLeft(l, " "))
}
