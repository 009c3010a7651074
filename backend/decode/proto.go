package decode

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/bufbuild/protocompile"
	"github.com/bufbuild/protocompile/linker"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/dynamicpb"
)

// Protobuf: .proto text (from the registry, with its references, or from
// --proto-path) is compiled at run time by protocompile; payloads are read
// into dynamicpb messages and rendered by protojson with the field names of
// the .proto file (UseProtoNames), unpopulated fields included so every
// record of a type shows the same fields. protojson follows the proto3
// JSON mapping: 64-bit integers are strings, enums their names, bytes
// base64.

// protoFile is one compiled registry schema: its file and, lazily, the
// message types its records name by index.
type protoFile struct {
	fd protoreflect.FileDescriptor
}

// mainProtoName is the file name the registry schema itself compiles
// under; references keep the names they are imported by.
const mainProtoName = "rewind-registry-schema.proto"

// compileProto compiles registry schema text. refs maps import names to
// source text (the schema's references, transitively).
func compileProto(ctx context.Context, text string, refs map[string]string) (pf *protoFile, err error) {
	defer func() {
		if r := recover(); r != nil {
			pf, err = nil, fmt.Errorf("cannot compile Protobuf schema: %v", r)
		}
	}()
	srcs := make(map[string]string, len(refs)+1)
	for k, v := range refs {
		srcs[k] = v
	}
	srcs[mainProtoName] = text
	c := protocompile.Compiler{
		Resolver: protocompile.WithStandardImports(&protocompile.SourceResolver{
			Accessor: protocompile.SourceAccessorFromMap(srcs),
		}),
		MaxParallelism: 1,
	}
	files, err := c.Compile(ctx, mainProtoName)
	if err != nil {
		return nil, fmt.Errorf("cannot compile Protobuf schema: %s", clipMsg(err.Error()))
	}
	return &protoFile{fd: files[0]}, nil
}

// message finds the message type a Confluent message-index list names:
// the first index is a top-level message, each next one a nested message.
func (p *protoFile) message(idx []int) (protoreflect.MessageDescriptor, error) {
	msgs := p.fd.Messages()
	var md protoreflect.MessageDescriptor
	for _, i := range idx {
		if i < 0 || i >= msgs.Len() {
			where := "the schema's top level"
			if md != nil {
				where = string(md.FullName())
			}
			return nil, fmt.Errorf("message index %v: %s has no message #%d (it has %d)", idx, where, i, msgs.Len())
		}
		md = msgs.Get(i)
		msgs = md.Messages()
	}
	if md == nil {
		return nil, fmt.Errorf("message index %v names no message", idx)
	}
	return md, nil
}

var protoJSON = protojson.MarshalOptions{UseProtoNames: true, EmitUnpopulated: true}

// decodeProto unmarshals payload as md and appends its protojson rendering
// (compacted and terminal-safe). base is the payload's offset in the value.
func decodeProto(dst []byte, md protoreflect.MessageDescriptor, payload []byte, base int) (out []byte, err error) {
	defer func() {
		if r := recover(); r != nil {
			out, err = dst, fmt.Errorf("cannot decode as %s: %v", md.FullName(), r)
		}
	}()
	m := dynamicpb.NewMessage(md)
	if err := (proto.UnmarshalOptions{RecursionLimit: maxValueDepth}).Unmarshal(payload, m); err != nil {
		if why := protoWireProblem(payload, base); why != "" {
			return dst, fmt.Errorf("%s (as %s)", why, md.FullName())
		}
		return dst, fmt.Errorf("cannot decode as %s: %s", md.FullName(), clipMsg(err.Error()))
	}
	js, err := protoJSON.Marshal(m)
	if err != nil {
		return dst, fmt.Errorf("cannot render %s as JSON: %s", md.FullName(), clipMsg(err.Error()))
	}
	if len(js) > maxOutput {
		return dst, fmt.Errorf("decoded value larger than %d MiB", maxOutput>>20)
	}
	return AppendCompactJSON(dst, js)
}

// protoWireProblem finds the first top-level field that is not valid wire
// format, to name a byte in the reason; "" if the framing is fine (the
// problem is deeper, or a type mismatch).
func protoWireProblem(b []byte, base int) string {
	for pos := 0; pos < len(b); {
		num, typ, n := protowire.ConsumeTag(b[pos:])
		if n < 0 {
			return wireWhy(n, "a field tag", base+pos, base+len(b))
		}
		if num == 0 {
			return fmt.Sprintf("field number 0 at byte %d is not valid protobuf", base+pos)
		}
		m := protowire.ConsumeFieldValue(num, typ, b[pos+n:])
		if m < 0 {
			return wireWhy(m, fmt.Sprintf("field %d", num), base+pos, base+len(b))
		}
		pos += n + m
	}
	return ""
}

func wireWhy(code int, what string, at, end int) string {
	if code == -1 { // protowire's "truncated"
		return fmt.Sprintf("payload ends early at byte %d, inside %s that starts at byte %d", end, what, at)
	}
	return fmt.Sprintf("malformed %s at byte %d: %v", what, at, protowire.ParseError(code))
}

// protoPath is a set of local .proto files (--proto-path), compiled once.
type protoPath struct {
	dirs  []string
	files linker.Files
}

// loadProtoPath compiles every .proto file under dirs (imports resolve
// against the same dirs, plus the standard google/protobuf imports).
func loadProtoPath(ctx context.Context, dirs []string) (*protoPath, error) {
	var names []string
	seen := map[string]bool{}
	for _, d := range dirs {
		st, err := os.Stat(d)
		if err != nil {
			return nil, fmt.Errorf("--proto-path %s: %w", d, unwrapPathErr(err))
		}
		if !st.IsDir() {
			return nil, fmt.Errorf("--proto-path %s: not a directory", d)
		}
		err = filepath.WalkDir(d, func(p string, e fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if e.IsDir() || !strings.HasSuffix(p, ".proto") {
				return nil
			}
			rel, err := filepath.Rel(d, p)
			if err != nil {
				return err
			}
			rel = filepath.ToSlash(rel)
			if !seen[rel] {
				seen[rel] = true
				names = append(names, rel)
			}
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("--proto-path %s: %w", d, unwrapPathErr(err))
		}
	}
	if len(names) == 0 {
		return nil, fmt.Errorf("--proto-path %s: no .proto files found", strings.Join(dirs, ","))
	}
	sort.Strings(names)
	c := protocompile.Compiler{
		Resolver:       protocompile.WithStandardImports(&protocompile.SourceResolver{ImportPaths: dirs}),
		MaxParallelism: 1,
	}
	files, err := c.Compile(ctx, names...)
	if err != nil {
		return nil, fmt.Errorf("--proto-path: %s", clipMsg(err.Error()))
	}
	return &protoPath{dirs: dirs, files: files}, nil
}

// find returns the message type with the full name (pkg.Message).
func (p *protoPath) find(name string) (protoreflect.MessageDescriptor, error) {
	name = strings.TrimPrefix(name, ".")
	for _, f := range p.files {
		if d := f.FindDescriptorByName(protoreflect.FullName(name)); d != nil {
			if md, ok := d.(protoreflect.MessageDescriptor); ok {
				return md, nil
			}
			return nil, fmt.Errorf("%s in --proto-path is a %T, not a message", name, d)
		}
	}
	return nil, fmt.Errorf("message type %s not found in --proto-path %s", name, strings.Join(p.dirs, ","))
}

func unwrapPathErr(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}
