package cli

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"os"

	"github.com/rewind-log/rewind/backend"
	"github.com/rewind-log/rewind/backend/connect"
	"github.com/rewind-log/rewind/backend/decode"
)

// registryConfig is the schema registry of the session: the context's or
// -X schema.registry.url's, else the embedded log's (started here, or the
// running one that owns the data dir).
func registryConfig(e *runEnv, s *session) (decode.RegistryConfig, error) {
	if s.profile != nil && s.profile.SchemaRegistry.URL != "" {
		r := s.profile.SchemaRegistry
		cfg := decode.RegistryConfig{URL: r.URL, Username: r.Username, Password: r.Password.Value(),
			BearerToken: r.BearerToken.Value(), Timeout: e.g.Timeout}
		tc, err := registryTLS(r.TLS)
		if err != nil {
			return cfg, err
		}
		cfg.TLS = tc
		return cfg, nil
	}
	if s.embedded != nil {
		return decode.RegistryConfig{URL: s.embedded.RegistryURL(), Timeout: e.g.Timeout}, nil
	}
	if s.profile == nil {
		if u := backend.RunningRegistryURL(dataDir(e, s)); u != "" {
			return decode.RegistryConfig{URL: u, Timeout: e.g.Timeout}, nil
		}
	}
	return decode.RegistryConfig{}, errors.New("no schema registry: give -X schema.registry.url=URL or a context with a schema_registry block")
}

func registryTLS(t connect.RegistryTLS) (*tls.Config, error) {
	if t == (connect.RegistryTLS{}) {
		return nil, nil
	}
	tc := &tls.Config{InsecureSkipVerify: t.SkipVerify} //nolint:gosec // the operator asked for it
	if t.CAFile != "" {
		pem, err := os.ReadFile(t.CAFile)
		if err != nil {
			return nil, fmt.Errorf("schema registry CA file: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("schema registry CA file %s: no PEM certificate in it", t.CAFile)
		}
		tc.RootCAs = pool
	}
	if t.CertFile != "" || t.KeyFile != "" {
		cert, err := tls.LoadX509KeyPair(t.CertFile, t.KeyFile)
		if err != nil {
			return nil, fmt.Errorf("schema registry client certificate: %w", err)
		}
		tc.Certificates = []tls.Certificate{cert}
	}
	return tc, nil
}

// schemaEncoder is a registry subject's encoder, named for errors.
type schemaEncoder struct {
	enc  *decode.Encoder
	info decode.SubjectSchema
}

// encoders builds the key and value encoders asked for (nil when not).
func (c *ProduceCmd) encoders(e *runEnv, s *session) (key, value *schemaEncoder, err error) {
	if c.KeySchema == "" && c.ValueSchema == "" {
		return nil, nil, nil
	}
	cfg, err := registryConfig(e, s)
	if err != nil {
		return nil, nil, err
	}
	build := func(subject, message string) (*schemaEncoder, error) {
		if subject == "" {
			return nil, nil
		}
		enc, info, err := decode.SubjectEncoder(e.ctx, cfg, subject, -1, message)
		if err != nil {
			return nil, err
		}
		return &schemaEncoder{enc: enc, info: info}, nil
	}
	if key, err = build(c.KeySchema, c.KeyMsg); err != nil {
		return nil, nil, fmt.Errorf("--key-schema: %w", err)
	}
	if value, err = build(c.ValueSchema, c.ValueMsg); err != nil {
		return nil, nil, fmt.Errorf("--value-schema: %w", err)
	}
	return key, value, nil
}

func (se *schemaEncoder) encode(what string, b []byte) ([]byte, error) {
	if se == nil || b == nil {
		return b, nil // null stays null (a tombstone)
	}
	out, err := se.enc.Encode(nil, b)
	if err != nil {
		return nil, fmt.Errorf("the %s does not fit %s version %d (%s, id %d): %s", what, se.info.Subject, se.info.Version, se.info.Type, se.info.ID, oneLine(err))
	}
	return out, nil
}

// encode replaces the record's key and value by their schema encoding.
func (r *inputRecord) encode(key, value *schemaEncoder) error {
	var err error
	if r.key, err = key.encode("key", r.key); err != nil {
		return err
	}
	r.value, err = value.encode("value", r.value)
	return err
}
