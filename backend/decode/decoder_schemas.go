package decode

// The schema steps of the decoding chain: a registry-framed value
// (wire format, then the registry's schema) and local schema files
// (.avsc, .proto) named by the topic's settings.

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/twmb/franz-go/pkg/sr"
	"google.golang.org/protobuf/reflect/protoreflect"
)

func (d *Decoder) fromRegistry(ctx context.Context, res *Result, topic string, key bool, want Format, b, buf []byte, o Options) bool {
	id, payload, err := ParseHeader(b)
	if err != nil {
		res.Tried = append(res.Tried, Attempt{"wire format", err.Error()})
		return false
	}
	res.SchemaID = id
	e, err := d.reg.lookup(ctx, id)
	if err != nil {
		res.RegistryDown = errors.Is(err, ErrUnreachable) || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)
		res.Tried = append(res.Tried, Attempt{"registry", registryReason(err)})
		return false
	}
	res.Subject, res.Version = e.subject(topic, key)
	// The label names the schema in a reason: built only when one is given
	// (this is the per-record path of a consume).
	label := func() string {
		if res.Subject != "" {
			return fmt.Sprintf("schema id %d (%s v%d)", id, res.Subject, res.Version)
		}
		return fmt.Sprintf("schema id %d", id)
	}
	got := formatOf(e.typ)
	if want != "" && want != got {
		res.Tried = append(res.Tried, Attempt{string(want), fmt.Sprintf("%s is a %s schema", label(), got)})
		return false
	}
	switch e.typ {
	case sr.TypeAvro:
		out, err := decodeAvro(buf[:0], e.avro, payload, headerLen, o.Fields)
		if err != nil {
			res.Tried = append(res.Tried, Attempt{"avro", label() + ": " + err.Error()})
			return false
		}
		res.Format, res.JSON, res.TypeName = FormatAvro, out, e.avro.name
		return true
	case sr.TypeProtobuf:
		idx, rest, err := ParseIndexes(payload, headerLen)
		if err != nil {
			res.Tried = append(res.Tried, Attempt{"protobuf", label() + ": " + err.Error()})
			return false
		}
		md, err := e.message(idx)
		if err != nil {
			res.Tried = append(res.Tried, Attempt{"protobuf", label() + ": " + err.Error()})
			return false
		}
		out, err := decodeProto(buf[:0], md, rest, len(b)-len(rest))
		if err != nil {
			res.Tried = append(res.Tried, Attempt{"protobuf", label() + ": " + err.Error()})
			return false
		}
		res.Format, res.JSON, res.TypeName = FormatProtobuf, out, string(md.FullName())
		return true
	case sr.TypeJSON:
		out, err := d.appendJSON(buf[:0], payload, o)
		if err != nil {
			res.Tried = append(res.Tried, Attempt{"json-schema", label() + ": payload is not JSON: " + shiftOffset(err, headerLen)})
			return false
		}
		res.Format, res.JSON = FormatJSONSchema, out
		return true
	}
	res.Tried = append(res.Tried, Attempt{"registry", label() + ": unsupported schema type"})
	return false
}

func registryReason(err error) string {
	msg := err.Error()
	for _, p := range []string{ErrSchemaNotFound.Error() + ": ", ErrUnreachable.Error() + ": ", errBadSchema.Error() + ": "} {
		msg = strings.TrimPrefix(msg, p)
	}
	return msg
}

func formatOf(t sr.SchemaType) Format {
	switch t {
	case sr.TypeAvro:
		return FormatAvro
	case sr.TypeProtobuf:
		return FormatProtobuf
	case sr.TypeJSON:
		return FormatJSONSchema
	}
	return Format(strings.ToLower(t.String()))
}

// fromLocal decodes with a local schema: plain payload first, then, for a
// framed value, the payload after the header (written by a registry-aware
// producer, read here without the registry).
func (d *Decoder) fromLocal(ctx context.Context, res *Result, sp Spec, want Format, b, buf []byte, o Options) bool {
	framed := len(b) >= headerLen && b[0] == 0
	if strings.HasSuffix(sp.Type, ".avsc") {
		name := "avro (" + sp.Type + ")"
		s, err := d.localAvro(sp.Type)
		if err != nil {
			res.Tried = append(res.Tried, Attempt{name, err.Error()})
			return false
		}
		out, err := decodeAvro(buf[:0], s, b, 0, o.Fields)
		if err != nil && framed {
			if out2, err2 := decodeAvro(buf[:0], s, b[headerLen:], headerLen, o.Fields); err2 == nil {
				out, err = out2, nil
			}
		}
		if err != nil {
			res.Tried = append(res.Tried, Attempt{name, err.Error()})
			return false
		}
		res.Format, res.JSON, res.TypeName = FormatAvro, out, s.name
		return true
	}
	name := "protobuf (" + sp.Type + ")"
	md, err := d.localMessage(ctx, sp.Type)
	if err != nil {
		res.Tried = append(res.Tried, Attempt{name, err.Error()})
		return false
	}
	out, err := decodeProto(buf[:0], md, b, 0)
	if err != nil && framed {
		if _, rest, ierr := ParseIndexes(b[headerLen:], headerLen); ierr == nil {
			if out2, err2 := decodeProto(buf[:0], md, rest, len(b)-len(rest)); err2 == nil {
				out, err = out2, nil
			}
		}
	}
	if err != nil {
		res.Tried = append(res.Tried, Attempt{name, err.Error()})
		return false
	}
	res.Format, res.JSON, res.TypeName = FormatProtobuf, out, string(md.FullName())
	return true
}

func (d *Decoder) localAvro(path string) (*avroSchema, error) {
	d.mu.Lock()
	la, ok := d.avsc[path]
	if !ok {
		la = &localAvro{}
		d.avsc[path] = la
	}
	d.mu.Unlock()
	la.once.Do(func() {
		text, err := os.ReadFile(path)
		if err != nil {
			la.err = fmt.Errorf("cannot read %s: %w", path, unwrapPathErr(err))
			return
		}
		if len(text) > schemaTextCap {
			la.err = fmt.Errorf("%s is larger than %d MiB", path, schemaTextCap>>20)
			return
		}
		la.s, la.err = compileAvro(string(text), nil)
		if la.err != nil {
			la.err = fmt.Errorf("%s: %w", path, la.err)
		}
	})
	return la.s, la.err
}

func (d *Decoder) localMessage(ctx context.Context, name string) (protoreflect.MessageDescriptor, error) {
	lp := d.protos
	lp.once.Do(func() {
		if len(d.cfg.ProtoPaths) == 0 {
			lp.err = errors.New("no --proto-path given")
			return
		}
		lp.p, lp.err = loadProtoPath(ctx, d.cfg.ProtoPaths)
	})
	if lp.err != nil {
		return nil, lp.err
	}
	lp.mu.Lock()
	defer lp.mu.Unlock()
	if md, ok := lp.msgs[name]; ok {
		return md, nil
	}
	md, err := lp.p.find(name)
	if err != nil {
		return nil, err
	}
	lp.msgs[name] = md
	return md, nil
}
