package decode

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"sync"
	"unicode/utf8"

	"google.golang.org/protobuf/reflect/protoreflect"
)

// Format is what a record's key or value was decoded as.
type Format string

// Formats. FormatBinary means no decoder applied: the bytes are shown raw
// (hex in the detail view, base64 in JSON output).
const (
	FormatNull       Format = "null" // absent (a tombstone value, a null key)
	FormatAvro       Format = "avro"
	FormatProtobuf   Format = "protobuf"
	FormatJSONSchema Format = "json-schema"
	FormatJSON       Format = "json"
	FormatText       Format = "text"
	FormatBinary     Format = "binary"
)

// Structured reports whether the format's Result carries JSON.
func (f Format) Structured() bool {
	return f == FormatAvro || f == FormatProtobuf || f == FormatJSONSchema || f == FormatJSON
}

// Spec chooses how one side (key or value) of a topic's records is decoded.
type Spec struct {
	// Format is "" or "auto" (the documented order, see the package doc),
	// or one of avro, protobuf, json-schema (registry-framed, or with
	// Type), json, text, hex, base64 (raw bytes shown in that encoding).
	Format string `yaml:"format" json:"format,omitempty"`
	// Type is a local schema for records written without a registry: a
	// Protobuf message full name (pkg.Message) found in Config.ProtoPaths,
	// or the path of an Avro .avsc file.
	Type string `yaml:"type" json:"type,omitempty"`
}

// Formats accepted in Spec.Format.
var specFormats = []string{"auto", "avro", "protobuf", "json-schema", "json", "text", "hex", "base64"}

// Validate checks Format and the shape of Type.
func (s Spec) Validate() error {
	f := strings.ToLower(strings.TrimSpace(s.Format))
	ok := f == ""
	for _, k := range specFormats {
		ok = ok || f == k
	}
	if !ok {
		return fmt.Errorf("format %q: want one of %s", s.Format, strings.Join(specFormats, ", "))
	}
	if s.Type != "" && !strings.HasSuffix(s.Type, ".avsc") && (f == "avro" || f == "json-schema") {
		return fmt.Errorf("format %s with type %q: a local Avro schema is an .avsc file", f, s.Type)
	}
	if strings.HasSuffix(s.Type, ".avsc") && f == "protobuf" {
		return fmt.Errorf("format protobuf with type %q: a Protobuf type is a message name like pkg.Message", s.Type)
	}
	return nil
}

// TopicConfig holds the choices for one topic.
type TopicConfig struct {
	Key   Spec `yaml:"key" json:"key"`
	Value Spec `yaml:"value" json:"value"`
}

// Config configures a Decoder. The zero value auto-detects JSON, text and
// binary; framed records then say that no registry is configured.
type Config struct {
	Registry RegistryConfig
	// ProtoPaths are directories of .proto files for Protobuf Spec.Types.
	ProtoPaths []string
	// Topics holds per-topic choices; the entry "*" applies to every topic
	// without its own.
	Topics map[string]TopicConfig
	// Warn is told of registry state changes: one message when it stops
	// answering, one when it is back. It is never called per record.
	Warn func(string)
}

// Attempt is one decoder that was tried and did not apply, with why.
type Attempt struct {
	Decoder string
	Reason  string
}

func (a Attempt) String() string { return a.Decoder + ": " + a.Reason }

// Result is what decoding one key or value produced.
type Result struct {
	Format Format
	// JSON is the decoded value for structured formats: compact, one line
	// and terminal-safe (unless Options.Verbatim). Nil otherwise.
	JSON []byte
	// SchemaID is the registry schema id of a framed record (0: none).
	SchemaID int
	// Subject and Version: the registry subject using SchemaID (the
	// topic's -value/-key subject when it does), for display.
	Subject string
	Version int
	// TypeName is the Avro record or Protobuf message full name.
	TypeName string
	// Encoding for FormatBinary: "base64" (default) or "hex", as chosen.
	Encoding string
	// Tried lists the decoders that did not apply, in the order tried.
	Tried []Attempt
	// RegistryDown: a framed value could not be decoded because the
	// registry did not answer (not because of the value). Consumers that
	// must not skip records (projections) stop on it instead.
	RegistryDown bool
}

// Reasons is Tried as "decoder: reason" lines.
func (r *Result) Reasons() []string {
	out := make([]string, len(r.Tried))
	for i, a := range r.Tried {
		out[i] = a.String()
	}
	return out
}

// Options tune one Decode call.
type Options struct {
	// Fields narrows Avro records to these fields (what a projection
	// uses); other fields are skipped, not rendered. Nil: all fields.
	Fields Selection
	// Verbatim returns a JSON value as stored (not compacted, not made
	// terminal-safe): for machine consumers, never for display.
	Verbatim bool
}

// Selection is a tree of field names; nil means everything below.
type Selection = selection

// SelectPaths builds a Selection from field paths ([]{"address","city"}).
// A path that is a prefix of another selects the whole subtree.
func SelectPaths(paths [][]string) Selection {
	if len(paths) == 0 {
		return nil
	}
	root := selection{}
	for _, p := range paths {
		cur := root
		for i, seg := range p {
			next, ok := cur[seg]
			if ok && next == nil {
				break // already the whole subtree
			}
			if i == len(p)-1 {
				cur[seg] = nil
				break
			}
			if !ok {
				next = selection{}
				cur[seg] = next
			}
			cur = next
		}
	}
	return root
}

// Decoder decodes record keys and values. Safe for concurrent use.
type Decoder struct {
	cfg Config
	reg *registry // nil: none configured

	mu     sync.Mutex
	avsc   map[string]*localAvro
	protos *localProto
}

type localAvro struct {
	once sync.Once
	s    *avroSchema
	err  error
}

type localProto struct {
	once sync.Once
	p    *protoPath
	err  error
	mu   sync.Mutex
	msgs map[string]protoreflect.MessageDescriptor
}

// New makes a Decoder. It does not contact the registry: a registry that
// is down shows as a warning and per-record reasons, not as an error here.
func New(cfg Config) (*Decoder, error) {
	d := &Decoder{cfg: cfg, avsc: map[string]*localAvro{}}
	for t, tc := range cfg.Topics {
		if err := tc.Key.Validate(); err != nil {
			return nil, fmt.Errorf("decoding of topic %s key: %w", t, err)
		}
		if err := tc.Value.Validate(); err != nil {
			return nil, fmt.Errorf("decoding of topic %s value: %w", t, err)
		}
		for _, s := range []Spec{tc.Key, tc.Value} {
			if s.Type != "" && !strings.HasSuffix(s.Type, ".avsc") && len(cfg.ProtoPaths) == 0 {
				return nil, fmt.Errorf("decoding of topic %s: Protobuf type %s needs --proto-path DIR", t, s.Type)
			}
		}
	}
	if cfg.Registry.Enabled() {
		r, err := newRegistry(cfg.Registry, cfg.Warn)
		if err != nil {
			return nil, err
		}
		d.reg = r
	}
	d.protos = &localProto{msgs: map[string]protoreflect.MessageDescriptor{}}
	return d, nil
}

// RegistryURL is the configured registry as shown (no credentials), or "".
func (d *Decoder) RegistryURL() string {
	if d == nil || d.reg == nil {
		return ""
	}
	return d.reg.display
}

// RegistryDown reports whether the registry is currently not answering.
func (d *Decoder) RegistryDown() (bool, string) {
	if d == nil || d.reg == nil {
		return false, ""
	}
	return d.reg.status()
}

func (d *Decoder) spec(topic string, key bool) Spec {
	tc, ok := d.cfg.Topics[topic]
	if !ok {
		tc = d.cfg.Topics["*"]
	}
	if key {
		return tc.Key
	}
	return tc.Value
}

// Decode decodes b, the key (key=true) or the value of a record of topic.
// Result.JSON is appended to buf (nil, or a previous JSON[:0] to reuse).
// It never fails: what cannot be decoded is FormatBinary with the reasons.
func (d *Decoder) Decode(ctx context.Context, topic string, key bool, b, buf []byte) Result {
	return d.DecodeWith(ctx, topic, key, b, buf, Options{})
}

// DecodeWith is Decode with options.
func (d *Decoder) DecodeWith(ctx context.Context, topic string, key bool, b, buf []byte, o Options) Result {
	if b == nil {
		return Result{Format: FormatNull}
	}
	if d == nil {
		d = zeroDecoder
	}
	sp := d.spec(topic, key)
	f := strings.ToLower(strings.TrimSpace(sp.Format))
	var res Result
	switch f {
	case "hex", "base64":
		return Result{Format: FormatBinary, Encoding: f}
	case "json":
		if d.json(&res, b, buf, o) {
			return res
		}
		return d.plain(res, b)
	case "text":
		return d.plain(res, b)
	case "avro", "protobuf", "json-schema":
		if d.structured(ctx, &res, topic, key, sp, Format(f), b, buf, o) {
			return res
		}
		return d.plain(res, b)
	}
	// auto
	if d.structured(ctx, &res, topic, key, sp, "", b, buf, o) {
		return res
	}
	if looksLikeJSONDoc(b) && d.json(&res, b, buf, o) {
		return res
	}
	return d.plain(res, b)
}

var zeroDecoder, _ = New(Config{})

// structured tries the registry (for a framed value) and the local schema.
// want restricts the format ("" = any).
func (d *Decoder) structured(ctx context.Context, res *Result, topic string, key bool, sp Spec, want Format, b, buf []byte, o Options) bool {
	framed := len(b) >= headerLen && b[0] == 0
	if framed || want != "" && sp.Type == "" {
		if d.reg == nil {
			if framed {
				id, _, _ := ParseHeader(b)
				res.SchemaID = id
				res.Tried = append(res.Tried, Attempt{"registry", fmt.Sprintf("the value is Confluent-framed (schema id %d) but no schema registry is configured (-X schema.registry.url=URL)", id)})
			} else if _, _, err := ParseHeader(b); err != nil {
				res.Tried = append(res.Tried, Attempt{"wire format", err.Error()})
			}
		} else if d.fromRegistry(ctx, res, topic, key, want, b, buf, o) {
			return true
		}
	}
	if sp.Type != "" {
		if d.fromLocal(ctx, res, sp, want, b, buf, o) {
			return true
		}
	}
	return false
}

func (d *Decoder) appendJSON(dst, b []byte, o Options) ([]byte, error) {
	if o.Verbatim {
		if err := validJSON(b); err != nil {
			return dst, err
		}
		return append(dst, b...), nil
	}
	return AppendCompactJSON(dst, b)
}

func (d *Decoder) json(res *Result, b, buf []byte, o Options) bool {
	out, err := d.appendJSON(buf[:0], b, o)
	if err != nil {
		res.Tried = append(res.Tried, Attempt{"json", err.Error()})
		return false
	}
	res.Format, res.JSON = FormatJSON, out
	return true
}

// plain ends the chain: UTF-8 text, else binary.
func (d *Decoder) plain(res Result, b []byte) Result {
	if IsText(b) {
		res.Format = FormatText
		return res
	}
	if !utf8.Valid(b) {
		res.Tried = append(res.Tried, Attempt{"text", fmt.Sprintf("not UTF-8 (first bad byte at %d)", firstInvalid(b))})
	} else {
		res.Tried = append(res.Tried, Attempt{"text", "contains NUL or too many control characters"})
	}
	res.Format, res.JSON = FormatBinary, nil
	if res.Encoding == "" {
		res.Encoding = "base64"
	}
	return res
}

// IsText reports whether b is UTF-8 text: valid UTF-8, no NUL, and at most
// one control character (other than tab and newlines) in ten bytes.
func IsText(b []byte) bool {
	if !utf8.Valid(b) || bytes.IndexByte(b, 0) >= 0 {
		return false
	}
	bad := 0
	for i := 0; i < len(b); {
		c := b[i]
		if c < utf8.RuneSelf {
			if (c < 0x20 && c != '\t' && c != '\n' && c != '\r') || c == 0x7f {
				bad++
			}
			i++
			continue
		}
		r, n := utf8.DecodeRune(b[i:])
		if r >= 0x80 && r < 0xa0 {
			bad++
		}
		i += n
	}
	return bad*10 <= len(b)
}

func firstInvalid(b []byte) int {
	for i := 0; i < len(b); {
		r, n := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError && n == 1 {
			return i
		}
		i += n
	}
	return len(b)
}

// shiftOffset re-bases "at byte N" in a JSON error to the whole value.
func shiftOffset(err error, base int) string {
	msg := err.Error()
	var n int
	if _, e := fmt.Sscanf(msg, "invalid JSON at byte %d", &n); e == nil {
		return strings.Replace(msg, fmt.Sprintf("at byte %d", n), fmt.Sprintf("at byte %d", n+base), 1)
	}
	return msg
}
