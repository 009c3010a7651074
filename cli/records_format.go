package cli

import (
	"fmt"
	"strconv"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/rewind-log/rewind/ui"
)

// kcat-style output: consume -f FORMAT (and -o value, which is -f '%s\n').
// Keys, values and headers are written as stored, not decoded, so a pipe
// gets the bytes kcat would give it; on a terminal they are sanitised
// (record bytes never put escape sequences on a screen).

// fmtOp is one piece of a parsed -f FORMAT: literal bytes, or a field.
type fmtOp struct {
	lit   []byte
	field byte // 0 for a literal, else the letter after %
}

// formatFields is what -f knows, for errors.
const formatFields = "%t %p %o %k %s %T %h %K %S or %%"

// parseFormat compiles a kcat-style format string.
func parseFormat(s string) ([]fmtOp, error) {
	var ops []fmtOp
	var lit []byte
	flush := func() {
		if len(lit) > 0 {
			ops = append(ops, fmtOp{lit: lit})
			lit = nil
		}
	}
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '%':
			if i+1 >= len(s) {
				return nil, fmt.Errorf("-f %s: a lone %% at the end (write %%%% for a percent sign)", quoteFlag(s))
			}
			i++
			switch f := s[i]; f {
			case '%':
				lit = append(lit, '%')
			case 't', 'p', 'o', 'k', 's', 'T', 'h', 'K', 'S':
				flush()
				ops = append(ops, fmtOp{field: f})
			default:
				return nil, fmt.Errorf("-f %s: unknown field %%%c at byte %d (want %s)", quoteFlag(s), f, i-1, formatFields)
			}
		case '\\':
			if i+1 >= len(s) {
				return nil, fmt.Errorf("-f %s: a lone \\ at the end (write \\\\ for a backslash)", quoteFlag(s))
			}
			i++
			switch e := s[i]; e {
			case 'n':
				lit = append(lit, '\n')
			case 't':
				lit = append(lit, '\t')
			case 'r':
				lit = append(lit, '\r')
			case '\\':
				lit = append(lit, '\\')
			case 'x':
				if i+2 >= len(s) {
					return nil, fmt.Errorf("-f %s: \\x at byte %d needs two hex digits", quoteFlag(s), i-1)
				}
				v, err := strconv.ParseUint(s[i+1:i+3], 16, 8)
				if err != nil {
					return nil, fmt.Errorf("-f %s: \\x at byte %d needs two hex digits", quoteFlag(s), i-1)
				}
				lit = append(lit, byte(v))
				i += 2
			default:
				return nil, fmt.Errorf("-f %s: unknown escape \\%c at byte %d (want \\n \\t \\r \\\\ \\xHH)", quoteFlag(s), e, i-1)
			}
		default:
			lit = append(lit, c)
		}
	}
	flush()
	return ops, nil
}

// quoteFlag quotes a flag's value for an error message, as typed.
func quoteFlag(s string) string { return "'" + ui.Sanitize(s) + "'" }

// valueFormat is -o value: each value as stored and a newline.
var valueFormat = []fmtOp{{field: 's'}, {lit: []byte{'\n'}}}

// appendFormatted appends r as ops say. safe sanitises record bytes (a
// terminal); else they are written as stored.
func appendFormatted(dst []byte, ops []fmtOp, r *kgo.Record, safe bool) []byte {
	bytesOut := func(dst, b []byte) []byte {
		if safe {
			return ui.AppendSanitized(dst, b)
		}
		return append(dst, b...)
	}
	length := func(dst, b []byte) []byte {
		if b == nil {
			return append(dst, '-', '1')
		}
		return strconv.AppendInt(dst, int64(len(b)), 10)
	}
	for i := range ops {
		op := &ops[i]
		switch op.field {
		case 0:
			dst = append(dst, op.lit...)
		case 't':
			dst = bytesOut(dst, []byte(r.Topic))
		case 'p':
			dst = strconv.AppendInt(dst, int64(r.Partition), 10)
		case 'o':
			dst = strconv.AppendInt(dst, r.Offset, 10)
		case 'k':
			dst = bytesOut(dst, r.Key)
		case 's':
			dst = bytesOut(dst, r.Value)
		case 'T':
			dst = strconv.AppendInt(dst, r.Timestamp.UnixMilli(), 10)
		case 'K':
			dst = length(dst, r.Key)
		case 'S':
			dst = length(dst, r.Value)
		case 'h':
			for j, h := range r.Headers {
				if j > 0 {
					dst = append(dst, ',')
				}
				dst = bytesOut(dst, []byte(h.Key))
				dst = append(dst, '=')
				if h.Value == nil {
					dst = append(dst, "NULL"...) // as kcat prints a header without a value
				} else {
					dst = bytesOut(dst, h.Value)
				}
			}
		}
	}
	return dst
}
