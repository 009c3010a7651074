package cli

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/rewind-log/rewind/backend"
	"github.com/rewind-log/rewind/backend/connect"
	"github.com/rewind-log/rewind/backend/decode"
	"github.com/rewind-log/rewind/backend/registry"
	"github.com/twmb/franz-go/pkg/kgo"
)

// DecodeFlags choose how keys and values are decoded, for the commands
// that show or evaluate record contents. Without them a topic's settings
// come from the context (contexts[].topics) and otherwise auto-detection
// (see backend/decode).
type DecodeFlags struct {
	ProtoPath   []string `name:"proto-path" sep:"none" placeholder:"DIR" help:"Directory of .proto files for --key-type/--value-type message names (repeatable)."`
	KeyType     []string `name:"key-type" sep:"none" placeholder:"[TOPIC=]TYPE" help:"Local schema of keys without a registry: a Protobuf message (pkg.Message, with --proto-path) or an .avsc file; TOPIC= limits it to one topic (repeatable)."`
	ValueType   []string `name:"value-type" sep:"none" placeholder:"[TOPIC=]TYPE" help:"Local schema of values, like --key-type."`
	KeyFormat   string   `name:"key-format" enum:"auto,avro,protobuf,json-schema,json,text,hex,base64" default:"auto" help:"Force the key format (auto: wire format + registry, local schema, JSON, text, binary)."`
	ValueFormat string   `name:"value-format" enum:"auto,avro,protobuf,json-schema,json,text,hex,base64" default:"auto" help:"Force the value format, like --key-format."`
}

// decodeConfig builds the decoder configuration for a session: the
// registry of the context (or -X schema.registry.url), else the embedded
// log's own; per-topic settings of the context; then the flags, which win.
// topic is the command's topic (flags without TOPIC= apply to it), or ""
// for every topic.
func (e *runEnv) decodeConfig(s *session, topic string, f *DecodeFlags) (decode.Config, error) {
	var cfg decode.Config
	reg, err := e.registryConfig(s)
	if err != nil {
		return cfg, err
	}
	cfg.Registry = reg
	cfg.Topics = map[string]decode.TopicConfig{}
	if s.profile != nil {
		for name, ts := range s.profile.Topics {
			cfg.Topics[name] = decode.TopicConfig{Key: ts.Key, Value: ts.Value}
		}
	}
	if f == nil {
		return cfg, nil
	}
	cfg.ProtoPaths = f.ProtoPath
	def := topic
	if def == "" {
		def = "*"
	}
	set := func(flag string, vals []string, key bool) error {
		for _, v := range vals {
			t, typ := def, v
			if i := strings.IndexByte(v, '='); i >= 0 {
				t, typ = v[:i], v[i+1:]
			}
			if t == "" || typ == "" {
				return fmt.Errorf("--%s %q: want TYPE or TOPIC=TYPE", flag, v)
			}
			tc := cfg.Topics[t]
			if key {
				tc.Key.Type = typ
			} else {
				tc.Value.Type = typ
			}
			cfg.Topics[t] = tc
		}
		return nil
	}
	if err := set("key-type", f.KeyType, true); err != nil {
		return cfg, err
	}
	if err := set("value-type", f.ValueType, false); err != nil {
		return cfg, err
	}
	if f.KeyFormat != "auto" || f.ValueFormat != "auto" {
		tc := cfg.Topics[def]
		if f.KeyFormat != "auto" {
			tc.Key.Format = f.KeyFormat
		}
		if f.ValueFormat != "auto" {
			tc.Value.Format = f.ValueFormat
		}
		cfg.Topics[def] = tc
	}
	return cfg, nil
}

// registryConfig is the registry a session decodes with.
func (e *runEnv) registryConfig(s *session) (decode.RegistryConfig, error) {
	rc := decode.RegistryConfig{Timeout: e.g.Timeout}
	switch {
	case s.profile != nil:
		r := s.profile.SchemaRegistry
		if r.URL == "" {
			return rc, nil
		}
		rc.URL, rc.Username = r.URL, r.Username
		rc.Password, rc.BearerToken = r.Password.Value(), r.BearerToken.Value()
		if r.TLS != (connect.RegistryTLS{}) {
			t := connect.TLS{CAFile: r.TLS.CAFile, CertFile: r.TLS.CertFile, KeyFile: r.TLS.KeyFile, SkipVerify: r.TLS.SkipVerify}
			tc, err := t.TLSConfig(time.Now())
			if err != nil {
				return rc, fmt.Errorf("schema registry TLS: %w", err)
			}
			rc.TLS = tc
		}
	case s.embedded != nil:
		rc.URL = s.embedded.RegistryURL()
	default:
		// Attached to another process's embedded log: its registry wrote
		// its URL into the data dir; else the documented address.
		dir := e.g.DataDir
		if dir == "" {
			dir = backend.DefaultDataDir()
		}
		rc.URL = backend.RunningRegistryURL(dir)
		if rc.URL == "" {
			addr := e.g.RegistryListen
			if addr == "" {
				addr = registry.DefaultListen
			}
			rc.URL = "http://" + addr
		}
	}
	return rc, nil
}

// decoder builds a Decoder whose registry warnings (one when it stops
// answering, one when it is back) go to stderr.
func (e *runEnv) decoder(s *session, topic string, f *DecodeFlags) (*decode.Decoder, error) {
	cfg, err := e.decodeConfig(s, topic, f)
	if err != nil {
		return nil, err
	}
	var mu sync.Mutex
	cfg.Warn = func(msg string) {
		mu.Lock()
		defer mu.Unlock()
		fmt.Fprintf(e.stderr, "rewind: warning: %s\n", oneLine(fmt.Errorf("%s", msg)))
	}
	return decode.New(cfg)
}

// recordDecoder decodes each record's key and value, reusing its buffers
// (the results are valid until the next call).
type recordDecoder struct {
	ctx  context.Context
	d    *decode.Decoder
	k, v decode.Result
}

func (rd *recordDecoder) decode(r *kgo.Record) (key, value *decode.Result) {
	rd.k = rd.d.Decode(rd.ctx, r.Topic, true, r.Key, rd.k.JSON)
	rd.v = rd.d.Decode(rd.ctx, r.Topic, false, r.Value, rd.v.JSON)
	return &rd.k, &rd.v
}

// shown is what text output prints for a decoded key or value: the JSON of
// a structured one, else the raw bytes (sanitised by the caller).
func shown(raw []byte, res *decode.Result) []byte {
	if res != nil && res.Format.Structured() {
		return res.JSON
	}
	return raw
}
