package project

import (
	"encoding/json"
	"testing"
)

func TestShowNumberAndDelta(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"23696.920000000002", "23696.92"},
		{"0.30000000000000004", "0.3"},
		{"100", "100"},
		{"-7.5", "-7.5"},
		{"12345678901234567890", "12345678901234567890"}, // an integer stays exact
		{"1234567890123.45", "1234567890123.45"},
		{"1e3", "1000"},
		{"2.5e-7", "2.5e-07"},
	} {
		got, ok := ShowNumber(json.RawMessage(c.in))
		if !ok || got != c.want {
			t.Errorf("ShowNumber(%s) = %q %v, want %q", c.in, got, ok, c.want)
		}
	}
	for _, in := range []string{`"12"`, `{"a":1}`, `null`, `true`, ``} {
		if got, ok := ShowNumber(json.RawMessage(in)); ok {
			t.Errorf("ShowNumber(%s) = %q, want not a number", in, got)
		}
	}
	for _, c := range []struct{ l, r, want string }{
		{"23696.92", "23700.020000000004", "+3.1"},
		{"10", "7", "-3"},
		{"5", "5", "0"},
		{"0.1", "0.30000000000000004", "+0.2"},
		{"100", "99.5", "-0.5"},
		{"1.25", "1.25", "0"},
		{"1e3", "2e3", "+1000"},
		{"10.5", "20.5", "+10"},
		{"9223372036854775807", "-9223372036854775808", "-18446744073709552000"},
	} {
		got, ok := Delta(json.RawMessage(c.l), json.RawMessage(c.r))
		if !ok || got != c.want {
			t.Errorf("Delta(%s, %s) = %q %v, want %q", c.l, c.r, got, ok, c.want)
		}
	}
	if _, ok := Delta(json.RawMessage(`"a"`), json.RawMessage(`1`)); ok {
		t.Error("Delta of a string and a number")
	}
}
