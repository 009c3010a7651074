package decode

import (
	"bytes"
	"context"
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

	"github.com/twmb/franz-go/pkg/sr"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/dynamicpb"
)

// Encoder turns JSON into a registry schema's binary form, framed in the
// Confluent wire format: for the demo world and for producing records with
// a schema. It accepts what the decoder renders (natural JSON: unwrapped
// unions, enum symbols, base64 bytes, RFC3339 timestamps, decimal numbers;
// Avro's own JSON encoding of unions, {"type": value}, works too), so a
// decoded record re-encodes to the same bytes.
type Encoder struct {
	id    int
	typ   sr.SchemaType
	avro  *avroSchema
	md    protoreflect.MessageDescriptor
	index []int
}

// NewEncoder compiles a schema for encoding. refs are its references,
// transitively, dependencies first. message picks the Protobuf message
// (full name; "" = the first one in the file).
func NewEncoder(ctx context.Context, id int, s sr.Schema, refs []Ref, message string) (*Encoder, error) {
	e := &Encoder{id: id, typ: s.Type}
	switch s.Type {
	case sr.TypeAvro:
		texts := make([]string, len(refs))
		for i, r := range refs {
			texts[i] = r.Text
		}
		a, err := compileAvro(s.Schema, texts)
		if err != nil {
			return nil, err
		}
		e.avro = a
	case sr.TypeProtobuf:
		m := make(map[string]string, len(refs))
		for _, r := range refs {
			m[r.Name] = r.Text
		}
		pf, err := compileProto(ctx, s.Schema, m)
		if err != nil {
			return nil, err
		}
		md, idx, err := findMessage(pf.fd.Messages(), message, nil)
		if err != nil {
			return nil, err
		}
		e.md, e.index = md, idx
	case sr.TypeJSON:
	default:
		return nil, fmt.Errorf("unknown schema type %d", s.Type)
	}
	return e, nil
}

// findMessage finds a message by full name and its Confluent index path.
func findMessage(msgs protoreflect.MessageDescriptors, name string, path []int) (protoreflect.MessageDescriptor, []int, error) {
	if name == "" {
		if msgs.Len() == 0 {
			return nil, nil, errors.New("the Protobuf schema defines no message")
		}
		return msgs.Get(0), []int{0}, nil
	}
	for i := range msgs.Len() {
		md := msgs.Get(i)
		p := append(append([]int(nil), path...), i)
		if string(md.FullName()) == strings.TrimPrefix(name, ".") {
			return md, p, nil
		}
		if found, fp, err := findMessage(md.Messages(), name, p); err == nil && found != nil {
			return found, fp, nil
		}
	}
	return nil, nil, fmt.Errorf("no message %s in the Protobuf schema", name)
}

// Encode appends the framed encoding of the JSON value js to dst.
func (e *Encoder) Encode(dst, js []byte) ([]byte, error) {
	start := len(dst)
	switch e.typ {
	case sr.TypeAvro:
		dst = AppendHeader(dst, e.id, nil)
		dec := json.NewDecoder(bytes.NewReader(js))
		dec.UseNumber()
		var v any
		if err := dec.Decode(&v); err != nil {
			return dst[:start], fmt.Errorf("not JSON: %w", err)
		}
		out, err := encodeAvro(dst, e.avro.root, v, 0)
		if err != nil {
			return dst[:start], err
		}
		return out, nil
	case sr.TypeProtobuf:
		m := dynamicpb.NewMessage(e.md)
		if err := protojson.Unmarshal(js, m); err != nil {
			return dst[:start], fmt.Errorf("not a %s: %s", e.md.FullName(), clipMsg(err.Error()))
		}
		dst = AppendHeader(dst, e.id, e.index)
		out, err := proto.MarshalOptions{Deterministic: true}.MarshalAppend(dst, m)
		if err != nil {
			return dst[:start], err
		}
		return out, nil
	default:
		if err := validJSON(js); err != nil {
			return dst, err
		}
		dst = AppendHeader(dst, e.id, nil)
		var buf bytes.Buffer
		_ = json.Compact(&buf, js)
		return append(dst, buf.Bytes()...), nil
	}
}

func appendLong(dst []byte, v int64) []byte {
	return binary.AppendUvarint(dst, uint64(v<<1)^uint64(v>>63))
}

type encodeError struct {
	path []string
	msg  string
}

func (e *encodeError) Error() string {
	if len(e.path) == 0 {
		return e.msg
	}
	p := make([]string, len(e.path))
	for i := range e.path {
		p[i] = e.path[len(e.path)-1-i]
	}
	return "field " + strings.Join(p, ".") + ": " + e.msg
}

func encErr(format string, args ...any) error { return &encodeError{msg: fmt.Sprintf(format, args...)} }

func encPath(err error, name string) error {
	var ee *encodeError
	if errors.As(err, &ee) {
		ee.path = append(ee.path, name)
	}
	return err
}

func encodeAvro(dst []byte, n *anode, v any, depth int) ([]byte, error) {
	if depth > maxValueDepth {
		return dst, encErr("value nests deeper than %d levels", maxValueDepth)
	}
	switch n.kind {
	case aNull:
		if v != nil {
			return dst, encErr("want null, got %s", jsonKind(v))
		}
		return dst, nil
	case aBool:
		b, ok := v.(bool)
		if !ok {
			return dst, encErr("want a boolean, got %s", jsonKind(v))
		}
		if b {
			return append(dst, 1), nil
		}
		return append(dst, 0), nil
	case aInt, aLong:
		i, err := encInteger(n, v)
		if err != nil {
			return dst, err
		}
		if n.kind == aInt && (i < math.MinInt32 || i > math.MaxInt32) {
			return dst, encErr("%d does not fit an int", i)
		}
		return appendLong(dst, i), nil
	case aFloat, aDouble:
		f, err := encFloat(v)
		if err != nil {
			return dst, err
		}
		if n.kind == aFloat {
			return binary.LittleEndian.AppendUint32(dst, math.Float32bits(float32(f))), nil
		}
		return binary.LittleEndian.AppendUint64(dst, math.Float64bits(f)), nil
	case aString:
		s, ok := v.(string)
		if !ok {
			return dst, encErr("want a string, got %s", jsonKind(v))
		}
		dst = appendLong(dst, int64(len(s)))
		return append(dst, s...), nil
	case aBytes, aFixed:
		var b []byte
		if n.logical == lDecimal {
			var err error
			if b, err = encDecimal(v, n.scale, n.size, n.kind == aFixed); err != nil {
				return dst, err
			}
		} else {
			s, ok := v.(string)
			if !ok {
				return dst, encErr("want a base64 string, got %s", jsonKind(v))
			}
			var err error
			if b, err = base64.StdEncoding.DecodeString(s); err != nil {
				return dst, encErr("not base64: %v", err)
			}
		}
		if n.kind == aFixed {
			if len(b) != n.size {
				return dst, encErr("fixed %s needs %d bytes, got %d", n.name, n.size, len(b))
			}
			return append(dst, b...), nil
		}
		dst = appendLong(dst, int64(len(b)))
		return append(dst, b...), nil
	case aEnum:
		s, ok := v.(string)
		if !ok {
			return dst, encErr("want an enum symbol of %s, got %s", n.name, jsonKind(v))
		}
		for i, sym := range n.syms {
			if sym == s {
				return appendLong(dst, int64(i)), nil
			}
		}
		return dst, encErr("%q is not a symbol of enum %s", s, n.name)
	case aUnion:
		// Avro's JSON encoding: {"branch-name": value}.
		if m, ok := v.(map[string]any); ok && len(m) == 1 {
			for k, inner := range m {
				for i, b := range n.branches {
					if branchName(b) == k || (b.name != "" && strings.HasSuffix(b.name, "."+k)) {
						if out, err := encodeAvro(appendLong(dst, int64(i)), b, inner, depth+1); err == nil {
							return out, nil
						}
					}
				}
			}
		}
		var firstErr error
		for i, b := range n.branches {
			out, err := encodeAvro(appendLong(dst, int64(i)), b, v, depth+1)
			if err == nil {
				return out, nil
			}
			if firstErr == nil && b.kind != aNull {
				firstErr = err
			}
		}
		if firstErr == nil {
			firstErr = encErr("no union branch takes %s", jsonKind(v))
		}
		return dst, firstErr
	case aRecord:
		m, ok := v.(map[string]any)
		if !ok {
			return dst, encErr("want an object for record %s, got %s", n.name, jsonKind(v))
		}
		for i := range n.fields {
			f := &n.fields[i]
			fv, ok := m[f.name]
			if !ok {
				if !f.hasDef {
					return dst, encPath(encErr("missing (and no default)"), f.name)
				}
				fv = f.def
			}
			var err error
			if dst, err = encodeAvro(dst, f.node, fv, depth+1); err != nil {
				return dst, encPath(err, f.name)
			}
		}
		return dst, nil
	case aArray:
		a, ok := v.([]any)
		if !ok {
			return dst, encErr("want an array, got %s", jsonKind(v))
		}
		if len(a) > 0 {
			dst = appendLong(dst, int64(len(a)))
			for i, it := range a {
				var err error
				if dst, err = encodeAvro(dst, n.items, it, depth+1); err != nil {
					return dst, encPath(err, "["+strconv.Itoa(i)+"]")
				}
			}
		}
		return append(dst, 0), nil
	case aMap:
		m, ok := v.(map[string]any)
		if !ok {
			return dst, encErr("want an object for a map, got %s", jsonKind(v))
		}
		if len(m) > 0 {
			dst = appendLong(dst, int64(len(m)))
			for _, k := range sortedKeys(m) {
				dst = appendLong(dst, int64(len(k)))
				dst = append(dst, k...)
				var err error
				if dst, err = encodeAvro(dst, n.items, m[k], depth+1); err != nil {
					return dst, encPath(err, k)
				}
			}
		}
		return append(dst, 0), nil
	}
	return dst, encErr("unsupported schema node")
}

func branchName(n *anode) string {
	if n.name != "" {
		return n.name
	}
	return [...]string{"null", "boolean", "int", "long", "float", "double", "bytes", "string", "record", "enum", "array", "map", "union", "fixed"}[n.kind]
}

func sortedKeys(m map[string]any) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	for i := 1; i < len(ks); i++ { // small maps: insertion sort keeps it dependency-free
		for j := i; j > 0 && ks[j] < ks[j-1]; j-- {
			ks[j], ks[j-1] = ks[j-1], ks[j]
		}
	}
	return ks
}

func jsonKind(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case bool:
		return "a boolean"
	case json.Number, float64:
		return "a number"
	case string:
		return "a string"
	case []any:
		return "an array"
	case map[string]any:
		return "an object"
	}
	return fmt.Sprintf("%T", v)
}

// encInteger reads an int/long, with the logical types' string forms.
func encInteger(n *anode, v any) (int64, error) {
	if s, ok := v.(string); ok {
		switch n.logical {
		case lDate:
			t, err := time.Parse("2006-01-02", s)
			if err != nil {
				return 0, encErr("want a date YYYY-MM-DD: %v", err)
			}
			return t.Unix() / 86400, nil
		case lTsMillis, lTsMicros, lLocalTsMillis, lLocalTsMicros:
			t, err := time.Parse(time.RFC3339Nano, s)
			if err != nil {
				if t, err = time.Parse("2006-01-02T15:04:05.999999999", s); err != nil {
					return 0, encErr("want an RFC3339 time: %v", err)
				}
			}
			if n.logical == lTsMillis || n.logical == lLocalTsMillis {
				return t.UnixMilli(), nil
			}
			return t.UnixMicro(), nil
		case lTimeMillis, lTimeMicros:
			t, err := time.Parse("15:04:05.999999999", s)
			if err != nil {
				return 0, encErr("want a time of day HH:MM:SS: %v", err)
			}
			d := time.Duration(t.Hour())*time.Hour + time.Duration(t.Minute())*time.Minute + time.Duration(t.Second())*time.Second + time.Duration(t.Nanosecond())
			if n.logical == lTimeMillis {
				return d.Milliseconds(), nil
			}
			return d.Microseconds(), nil
		}
		return 0, encErr("want a number, got a string")
	}
	num, ok := v.(json.Number)
	if !ok {
		return 0, encErr("want an integer, got %s", jsonKind(v))
	}
	i, err := num.Int64()
	if err != nil {
		return 0, encErr("want an integer, got %s", num)
	}
	return i, nil
}

func encFloat(v any) (float64, error) {
	switch x := v.(type) {
	case json.Number:
		f, err := x.Float64()
		if err != nil {
			return 0, encErr("bad number %s", x)
		}
		return f, nil
	case string:
		switch x {
		case "NaN":
			return math.NaN(), nil
		case "Infinity":
			return math.Inf(1), nil
		case "-Infinity":
			return math.Inf(-1), nil
		}
	}
	return 0, encErr("want a number, got %s", jsonKind(v))
}

// encDecimal turns a decimal number (JSON number or string) into the
// unscaled two's-complement big-endian bytes.
func encDecimal(v any, scale, size int, fixed bool) ([]byte, error) {
	var s string
	switch x := v.(type) {
	case json.Number:
		s = x.String()
	case string:
		s = x
	default:
		return nil, encErr("want a decimal number, got %s", jsonKind(v))
	}
	r, ok := new(big.Rat).SetString(s)
	if !ok {
		return nil, encErr("bad decimal %q", s)
	}
	r.Mul(r, new(big.Rat).SetInt(new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(scale)), nil)))
	if !r.IsInt() {
		return nil, encErr("%s has more than %d decimals", s, scale)
	}
	i := r.Num()
	// Two's complement, minimal length (or the fixed size).
	n := (i.BitLen() + 8) / 8
	if fixed {
		if n > size {
			return nil, encErr("%s does not fit %d bytes", s, size)
		}
		n = size
	}
	b := make([]byte, n)
	if i.Sign() >= 0 {
		i.FillBytes(b)
		return b, nil
	}
	t := new(big.Int).Add(new(big.Int).Lsh(big.NewInt(1), uint(n*8)), i)
	t.FillBytes(b)
	return b, nil
}
