package project

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/tidwall/gjson"
	"github.com/twmb/franz-go/pkg/kgo"
)

// Two specs that mean the same: the first reads fields straight from the
// JSON (the fast path), the second makes the engine decode the value whole
// and run the same expressions on the VM (its filter uses value whole and
// is always true).
const (
	fastSpec = "name: fast\ntopic: t\nkey: value.customer\naggregate: sum\nvalue: value.amount\n"
	fullSpec = "name: full\ntopic: t\nfilter: value == value\nkey: value.customer\naggregate: sum\nvalue: value.amount\n"
	nestFast = "name: nf\ntopic: t\nkey: value.c.id\naggregate: max\nvalue: value.m.n\n"
	nestFull = "name: nfull\ntopic: t\nfilter: value == value\nkey: value.c.id\naggregate: max\nvalue: value.m.n\n"
)

type evalResult struct {
	out   outcome
	key   string
	num   float64
	isErr bool
}

func (e evalResult) String() string {
	return fmt.Sprintf("{out %d key %q num %v err %v}", e.out, e.key, e.num, e.isErr)
}

func evalOne(c *Compiled, value []byte) evalResult {
	out, key, num, _, err := c.eval(&kgo.Record{Topic: "t", Value: value})
	if out != outApply {
		key, num = "", 0
	}
	return evalResult{out, key, num, err != nil}
}

// One evaluation semantics for both paths (documented in
// testdata/projections/README.md): a duplicate key's last value wins, a
// value that is not valid JSON as a whole is invalid, a number that is not
// finite (1e400) is an error for that record, never aggregated. Today the
// fast path took the first duplicate, read fields out of truncated JSON
// and summed 1e400 and -1e400 into a panic.
func TestEvalPathsAgree(t *testing.T) {
	fast, full := compileText(t, fastSpec), compileText(t, fullSpec)
	nf, nfull := compileText(t, nestFast), compileText(t, nestFull)
	if fast.fullValue || !full.fullValue || nf.fullValue || !nfull.fullValue {
		t.Fatal("the specs do not take the paths this test is about")
	}
	cases := []struct {
		v    string
		want evalResult
	}{
		{`{"customer":"a","amount":5}`, evalResult{outApply, "a", 5, false}},
		{`{"customer":"a","amount":5,"customer":"b","amount":7}`, evalResult{outApply, "b", 7, false}}, // last wins
		{`{"customer":"a","amount":5`, evalResult{outInvalid, "", 0, false}},                           // truncated
		{`{"customer":"a","amount":5}garbage`, evalResult{outInvalid, "", 0, false}},
		{`{"customer":"a","amount":1e400}`, evalResult{outSkip, "", 0, true}},
		{`{"customer":"a","amount":-1e400}`, evalResult{outSkip, "", 0, true}},
		{`{"customer":"a","amount":null}`, evalResult{outSkip, "", 0, false}},
		{`{"customer":"a"}`, evalResult{outSkip, "", 0, false}},
		{`{"customer":"a","amount":"12"}`, evalResult{outSkip, "", 0, true}},
		{`{"customer":7,"amount":1}`, evalResult{outApply, "7", 1, false}},
		{`[1,2]`, evalResult{outSkip, "", 0, true}},  // value.customer of an array: an error
		{`"text"`, evalResult{outSkip, "", 0, true}}, // of a string too
		{`null`, evalResult{outSkip, "", 0, true}},
		{`not json`, evalResult{outInvalid, "", 0, false}},
	}
	for _, c := range cases {
		a, b := evalOne(fast, []byte(c.v)), evalOne(full, []byte(c.v))
		if a != b {
			t.Errorf("%s: fast path %v, full decode %v", c.v, a, b)
		}
		if a != c.want {
			t.Errorf("%s: %v, want %v", c.v, a, c.want)
		}
	}
	for _, v := range []string{
		`{"c":{"id":"x","id":"y"},"m":{"n":1,"n":2}}`,
		`{"c":{"id":"x"},"c":{"id":"z"},"m":{"n":3}}`,
		`{"c":"flat","m":{"n":3}}`,
		`{"m":{"n":3}}`,
		`{"c":null,"m":{"n":3}}`,
		`{"c":{"id":"x"},"m":[1]}`,
		`{"c":{"id":"x"},"m":{"n":1e999}}`,
		`{"c":{"id":"x"},"m":{"n":2}`,
	} {
		if a, b := evalOne(nf, []byte(v)), evalOne(nfull, []byte(v)); a != b {
			t.Errorf("nested %s: fast path %v, full decode %v", v, a, b)
		}
	}
}

// Summing +1e400 and -1e400 on one key no longer panics: both records are
// errors with their offsets, the table holds the finite records only.
func TestRunNonFiniteAmounts(t *testing.T) {
	w := newWorld(t)
	w.topic("t", 1, nil)
	w.produce("t",
		rec{0, "k", `{"customer":"a","amount":1e400}`},
		rec{0, "k", `{"customer":"a","amount":-1e400}`},
		rec{0, "k", `{"customer":"a","amount":2}`},
	)
	m := w.run(fastSpec, "r", Options{})
	if got := w.rows("r"); got["a"] != "2" {
		t.Fatalf("rows %v", got)
	}
	if m.Progress.Stats.Errors != 2 || !strings.Contains(m.Progress.Stats.FirstError, "t/0@0") || !strings.Contains(m.Progress.Stats.FirstError, "not a finite number") {
		t.Fatalf("stats %+v", m.Progress.Stats)
	}
}

// FuzzEvalPathsAgree: whatever the record bytes, the fast path and the
// full decode give the same outcome, key and number, and never panic.
func FuzzEvalPathsAgree(f *testing.F) {
	for _, s := range []string{`{"customer":"a","amount":5}`, `{"customer":"a","customer":"b","amount":1e400}`, `{"amount":`, `[]`, `{"customer":{"x":1},"amount":-0}`, "\xff"} {
		f.Add([]byte(s))
	}
	fast, err := Compile(mustSpec(fastSpec))
	if err != nil {
		f.Fatal(err)
	}
	full, err := Compile(mustSpec(fullSpec))
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, v []byte) {
		a, b := evalOne(fast, v), evalOne(full, v)
		if a != b {
			t.Fatalf("%q: fast path %v, full decode %v", v, a, b)
		}
		if math.IsNaN(a.num) || math.IsInf(a.num, 0) {
			t.Fatalf("%q: non-finite number %v aggregated", v, a.num)
		}
	})
}

func mustSpec(text string) *Spec {
	s, err := ParseSpec("fuzz.yaml", []byte(text))
	if err != nil {
		panic(err)
	}
	return s
}

var _ = context.Background

// FuzzScanJSON: the one-pass validator agrees with encoding/json on what
// is one valid JSON document, and reports the members gjson sees.
func FuzzScanJSON(f *testing.F) {
	for _, s := range []string{`{"a":1,"b":[1,{"c":"\u00e9"}],"a":2}`, `[1,2`, `"x"`, ` 1e5 `, `{"a":01}`, `{"\u0061":true}`, `nul`, `{"a":"\x01"}`, "{\"a\":\"\xff\"}"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var keys []string
		object, ok := scanJSON(b, func(k []byte, esc bool, v []byte) {
			keys = append(keys, string(k))
			if _, vok := scanJSON(v, nil); !vok {
				t.Fatalf("%q: member value %q does not scan alone", b, v)
			}
		})
		if want := json.Valid(b); ok != want {
			t.Fatalf("%q: scanJSON valid=%v, encoding/json valid=%v", b, ok, want)
		}
		if ok && object != gjson.ParseBytes(b).IsObject() {
			t.Fatalf("%q: object=%v", b, object)
		}
	})
}
