package decode

// Schemas as text: checking one before it is registered (the embedded
// registry) and showing one with its references and usages (the TUI's s).

import (
	"context"
	"errors"
	"fmt"

	"github.com/twmb/franz-go/pkg/sr"
)

// Ref is a referenced schema for CheckSchema: Name is the reference name
// (the import path for Protobuf), Text its schema.
type Ref struct{ Name, Text string }

// CheckSchema reports whether records written with a schema can be read
// here: Avro parses, Protobuf compiles, JSON Schema is JSON. refs are the
// references, transitively, dependencies first. The embedded registry uses
// it to refuse invalid schemas as a real registry does.
func CheckSchema(ctx context.Context, t sr.SchemaType, text string, refs []Ref) error {
	switch t {
	case sr.TypeAvro:
		texts := make([]string, len(refs))
		for i, r := range refs {
			texts[i] = r.Text
		}
		_, err := compileAvro(text, texts)
		return err
	case sr.TypeProtobuf:
		m := make(map[string]string, len(refs))
		for _, r := range refs {
			m[r.Name] = r.Text
		}
		_, err := compileProto(ctx, text, m)
		return err
	case sr.TypeJSON:
		if err := validJSON([]byte(text)); err != nil {
			return fmt.Errorf("JSON Schema: %w", err)
		}
		return nil
	}
	return fmt.Errorf("unknown schema type %d", t)
}

// SchemaInfo is a registry schema as the record detail shows it.
type SchemaInfo struct {
	ID   int
	Type Format
	Text string
	// References are the referenced schemas (name, subject, version).
	References []sr.SchemaReference
	// Usages are the subject/version pairs that use the id.
	Usages []sr.SubjectVersion
}

// Schema returns the registry schema with id (from the cache once looked
// up). It fails when no registry is configured or the id is unknown.
func (d *Decoder) Schema(ctx context.Context, id int) (SchemaInfo, error) {
	if d == nil || d.reg == nil {
		return SchemaInfo{}, errors.New("no schema registry is configured")
	}
	e, err := d.reg.lookup(ctx, id)
	if e == nil || (err != nil && e.text == "") {
		if err == nil {
			err = fmt.Errorf("schema id %d: not available", id)
		}
		return SchemaInfo{}, errors.New(registryReason(err))
	}
	return SchemaInfo{ID: id, Type: formatOf(e.typ), Text: e.text, References: e.refs, Usages: e.usages}, nil
}
