package cli

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"

	"gopkg.in/yaml.v3"
)

// Structured output: every command with -o json also has -o yaml. The YAML
// is made from the JSON encoding (one source of truth for field names and
// order): a stream of documents, one per JSON object, each starting with
// "---", so `yq` and line tools read it like the JSON lines.

// structured reports whether output is a machine format (json or yaml).
func structured(output string) bool { return output == "json" || output == "yaml" }

// encoder writes objects as JSON lines or YAML documents.
type encoder struct {
	w    io.Writer
	yaml bool
	buf  bytes.Buffer
}

func newEncoder(w io.Writer, output string) *encoder {
	return &encoder{w: w, yaml: output == "yaml"}
}

// Encode writes v as one JSON line or one YAML document.
func (e *encoder) Encode(v any) error {
	e.buf.Reset()
	je := json.NewEncoder(&e.buf)
	if err := je.Encode(v); err != nil {
		return err
	}
	if !e.yaml {
		_, err := e.w.Write(e.buf.Bytes())
		return err
	}
	return writeYAML(e.w, e.buf.Bytes())
}

// writeYAML writes one JSON document as a YAML document. JSON is YAML, so
// the parser keeps key order and string types; only the styles change.
func writeYAML(w io.Writer, js []byte) error {
	var n yaml.Node
	if err := yaml.Unmarshal(js, &n); err != nil {
		return fmt.Errorf("yaml output: %w", err)
	}
	blockStyle(&n)
	var out bytes.Buffer
	out.WriteString("---\n")
	ye := yaml.NewEncoder(&out)
	ye.SetIndent(2)
	if err := ye.Encode(&n); err != nil {
		return fmt.Errorf("yaml output: %w", err)
	}
	if err := ye.Close(); err != nil {
		return fmt.Errorf("yaml output: %w", err)
	}
	_, err := w.Write(out.Bytes())
	return err
}

// blockStyle turns JSON's flow style and quoting into plain block YAML;
// the encoder quotes again whatever would otherwise change type ("123",
// "true", "null" stay strings).
func blockStyle(n *yaml.Node) {
	switch n.Kind {
	case yaml.MappingNode, yaml.SequenceNode:
		if len(n.Content) > 0 {
			n.Style = 0
		}
	case yaml.ScalarNode:
		if n.Tag == "!!str" {
			n.Style = 0
		}
	}
	for _, c := range n.Content {
		blockStyle(c)
	}
}

// encodeEach writes each row as one JSON line or YAML document.
func encodeEach[T any](w io.Writer, output string, rows []T) error {
	enc := newEncoder(w, output)
	for i := range rows {
		if err := enc.Encode(&rows[i]); err != nil {
			return err
		}
	}
	return nil
}

// writeStructured writes v as indented JSON (the project commands' form)
// or as a YAML document.
func writeStructured(w io.Writer, output string, v any) error {
	if output == "yaml" {
		return newEncoder(w, output).Encode(v)
	}
	return writeJSON(w, v)
}
