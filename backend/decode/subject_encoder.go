package decode

import (
	"context"
	"fmt"

	"github.com/twmb/franz-go/pkg/sr"
)

// SubjectSchema names the registered schema an Encoder writes with.
type SubjectSchema struct {
	Subject string `json:"subject"`
	Version int    `json:"version"`
	ID      int    `json:"id"`
	Type    string `json:"type"`
}

// SubjectEncoder fetches a subject's schema from the registry (version -1:
// the latest) with its references, and compiles an Encoder for it: what
// `rewind produce --value-schema SUBJECT` writes with. message picks the
// Protobuf message ("" = the first).
func SubjectEncoder(ctx context.Context, cfg RegistryConfig, subject string, version int, message string) (*Encoder, SubjectSchema, error) {
	r, err := newRegistry(cfg, nil)
	if err != nil {
		return nil, SubjectSchema{}, err
	}
	ss, err := r.cl.SchemaByVersion(ctx, subject, version)
	if err != nil {
		return nil, SubjectSchema{}, fmt.Errorf("subject %q on %s: %s", subject, r.display, describeRegistryErr(r.display, err))
	}
	texts, order, err := r.references(ctx, ss.References)
	if err != nil {
		return nil, SubjectSchema{}, fmt.Errorf("subject %q: %w", subject, err)
	}
	refs := make([]Ref, len(order))
	for i, name := range order {
		refs[i] = Ref{Name: name, Text: texts[name]}
	}
	enc, err := NewEncoder(ctx, ss.ID, ss.Schema, refs, message)
	if err != nil {
		return nil, SubjectSchema{}, fmt.Errorf("subject %q version %d: %w", subject, ss.Version, err)
	}
	typ := map[sr.SchemaType]string{sr.TypeAvro: "avro", sr.TypeProtobuf: "protobuf", sr.TypeJSON: "json-schema"}[ss.Type]
	return enc, SubjectSchema{Subject: subject, Version: ss.Version, ID: ss.ID, Type: typ}, nil
}

// SubjectEncoder is SubjectEncoder (latest version) on the decoder's own
// registry: the TUI's produce form encodes with the registry it decodes
// with.
func (d *Decoder) SubjectEncoder(ctx context.Context, subject, message string) (*Encoder, SubjectSchema, error) {
	if d == nil || !d.cfg.Registry.Enabled() {
		return nil, SubjectSchema{}, fmt.Errorf("subject %q: no schema registry configured", subject)
	}
	return SubjectEncoder(ctx, d.cfg.Registry, subject, -1, message)
}
