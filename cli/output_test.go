package cli

import (
	"bytes"
	"testing"

	"gopkg.in/yaml.v3"
)

func TestYAMLOutputKeepsOrderAndTypes(t *testing.T) {
	type row struct {
		Name   string            `json:"name"`
		Num    string            `json:"num"`
		Bool   string            `json:"bool"`
		Null   *string           `json:"null"`
		Count  int64             `json:"count"`
		Big    int64             `json:"big"`
		Text   string            `json:"text"`
		Empty  []int             `json:"empty"`
		Nested map[string]string `json:"nested"`
	}
	var buf bytes.Buffer
	enc := newEncoder(&buf, "yaml")
	in := row{Name: "orders", Num: "123", Bool: "true", Count: 7, Big: 9007199254740993, Text: "line1\nline2: x", Empty: []int{}, Nested: map[string]string{"a": "b"}}
	if err := enc.Encode(in); err != nil {
		t.Fatal(err)
	}
	if err := enc.Encode(in); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	want := "---\nname: orders\nnum: \"123\"\nbool: \"true\"\n\"null\": null\ncount: 7\nbig: 9007199254740993\ntext: |-\n  line1\n  line2: x\nempty: []\nnested:\n  a: b\n"
	if out != want+want {
		t.Fatalf("yaml:\n%s\nwant twice:\n%s", out, want)
	}
	dec := yaml.NewDecoder(&buf)
	n := 0
	for {
		var m map[string]any
		if err := dec.Decode(&m); err != nil {
			break
		}
		if m["num"] != "123" || m["bool"] != "true" || m["count"] != 7 || m["text"] != in.Text {
			t.Fatalf("round trip: %#v", m)
		}
		n++
	}
	if n != 2 {
		t.Fatalf("%d documents", n)
	}
}

func TestYAMLOutputEscapesControlCharacters(t *testing.T) {
	var buf bytes.Buffer
	if err := newEncoder(&buf, "yaml").Encode(map[string]string{"v": "a\x1b[2Jb\x07\u2028c\x00"}); err != nil {
		t.Fatal(err)
	}
	for _, b := range buf.Bytes() {
		if b < 0x20 && b != '\n' {
			t.Fatalf("raw control byte %#x in %q", b, buf.String())
		}
	}
	var m map[string]string
	if err := yaml.Unmarshal(buf.Bytes(), &m); err != nil || m["v"] != "a\x1b[2Jb\x07\u2028c\x00" {
		t.Fatalf("round trip %q: %v", m["v"], err)
	}
}
