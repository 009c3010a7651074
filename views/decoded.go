package views

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	tea "charm.land/bubbletea/v2"

	"github.com/rewind-log/rewind/backend"
	"github.com/rewind-log/rewind/backend/decode"
	"github.com/rewind-log/rewind/themes"
	"github.com/rewind-log/rewind/ui"
)

// How the record screens show what the decoder made of a key or value:
// the list previews the decoded JSON; the detail screen names the format
// and schema, pretty-prints the JSON, and when a schema decoder failed
// says why, one line per decoder tried, above the raw bytes.

// capDecoded bounds a decoded key or value kept in the records window, as
// capRecord bounds the raw bytes (the detail screen decodes again).
func capDecoded(r *decode.Result, limit int) *decode.Result {
	if r == nil || len(r.JSON) <= limit {
		return r
	}
	c := *r
	c.JSON = append([]byte(nil), r.JSON[:limit]...)
	return &c
}

// decodedLabel names a decoded key or value for a section title:
// "avro · schema 3 (shipments-value v2) · rewind.demo.logistics.Shipment".
func decodedLabel(r *decode.Result) string {
	if r == nil {
		return ""
	}
	parts := []string{string(r.Format)}
	if r.SchemaID > 0 {
		s := fmt.Sprintf("schema %d", r.SchemaID)
		if r.Subject != "" {
			s += fmt.Sprintf(" (%s v%d)", r.Subject, r.Version)
		}
		parts = append(parts, s)
	}
	if r.TypeName != "" {
		parts = append(parts, r.TypeName)
	}
	return ui.Sanitize(strings.Join(parts, " · "))
}

// decodeFailures are the reasons worth showing: those of schema decoders
// (registry, wire format, Avro, Protobuf, JSON Schema, local schemas).
func decodeFailures(r *decode.Result) []string {
	if r == nil {
		return nil
	}
	var out []string
	for _, a := range r.Tried {
		if a.Decoder != "json" && a.Decoder != "text" {
			out = append(out, a.String())
		}
	}
	return out
}

// reasonLines renders decodeFailures for the detail screen.
func reasonLines(r *decode.Result, th themes.Theme) []string {
	fs := decodeFailures(r)
	if len(fs) == 0 {
		return nil
	}
	out := []string{th.Warn.Render("not decoded, showing raw bytes:")}
	for _, f := range fs {
		out = append(out, th.Warn.Render("  "+ui.Sanitize(f)))
	}
	return out
}

// decodedRender decodes a record's key and value (in a Cmd) and formats
// the value: pretty JSON for a structured value, text, else a hex dump of
// the raw bytes (the reasons are shown above it).
func decodedRender(d *decode.Decoder, gen int64, r backend.Record, pal jsonPalette) valueRenderedMsg {
	ctx := context.Background()
	k := d.Decode(ctx, r.Topic, true, r.Key, nil)
	v := d.Decode(ctx, r.Topic, false, r.Value, nil)
	m := valueRenderedMsg{gen: gen, dec: &v, kdec: &k}
	switch {
	case r.Value == nil:
		m.kind, m.lines = kindNull, []string{}
	case len(r.Value) == 0:
		m.kind, m.lines = kindEmpty, []string{}
	case v.Format.Structured():
		m.kind, m.lines = kindJSON, prettyJSON(v.JSON, renderCap, pal)
	case v.Format == decode.FormatText:
		m.kind, m.lines = kindText, textLines(r.Value, renderCap)
	default:
		m.kind, m.lines = kindBinary, hexDump(r.Value, renderCap)
	}
	return m
}

// schemaView is the value's registry schema, shown by "s" in the detail.
type schemaView struct {
	info    decode.SchemaInfo
	err     error
	loading bool
	text    []string // formatted schema text
}

type schemaLoadedMsg struct {
	gen  int64
	view schemaView
}

func (v *schemaView) lines(section func(string) string, th themes.Theme) []string {
	switch {
	case v.loading:
		return []string{"", section("schema"), th.Muted.Render("loading the schema…")}
	case v.err != nil:
		return []string{"", section("schema"), th.Warn.Render(ui.Sanitize(v.err.Error()))}
	}
	title := fmt.Sprintf("schema · id %d · %s", v.info.ID, v.info.Type)
	var used []string
	for _, u := range v.info.Usages {
		used = append(used, fmt.Sprintf("%s v%d", u.Subject, u.Version))
	}
	if len(used) > 0 {
		title += " · " + strings.Join(used, ", ")
	}
	out := []string{"", section(ui.Sanitize(title))}
	for _, r := range v.info.References {
		out = append(out, th.Muted.Render(ui.Sanitize(fmt.Sprintf("references %s (%s v%d)", r.Name, r.Subject, r.Version))))
	}
	return append(out, v.text...)
}

// toggleSchema shows (or hides) the registry schema of the value.
func (s *recordScreen) toggleSchema() tea.Cmd {
	if s.schema != nil {
		s.schema = nil
		s.rebuild()
		return nil
	}
	if s.dec == nil || s.dec.SchemaID == 0 || s.env.Decoder == nil {
		return ui.Toast("no schema: the value is not registry-framed")
	}
	s.schema = &schemaView{loading: true}
	s.scroll = 0
	s.rebuild()
	gen, d, id := s.gen, s.env.Decoder, s.dec.SchemaID
	pal := newJSONPalette(s.env.Theme)
	return func() tea.Msg {
		info, err := d.Schema(context.Background(), id)
		v := schemaView{info: info, err: err}
		if err == nil {
			if info.Type == decode.FormatProtobuf || !json.Valid([]byte(info.Text)) {
				v.text = textLines([]byte(info.Text), renderCap)
			} else {
				v.text = prettyJSON([]byte(info.Text), renderCap, pal)
			}
		}
		return schemaLoadedMsg{gen: gen, view: v}
	}
}
