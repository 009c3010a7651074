package project

import (
	"testing"

	"github.com/twmb/franz-go/pkg/kgo"
)

// A filter that is just a field (value.paid) runs in the VM like any
// other; it used to see no value at all and fail on every record.
func TestFilterOfOneField(t *testing.T) {
	f, err := CompileFilter("value.paid")
	if err != nil {
		t.Fatal(err)
	}
	for v, want := range map[string]bool{`{"paid":true}`: true, `{"paid":false}`: false} {
		if ok, err := f.Match(&kgo.Record{Value: []byte(v)}); ok != want || err != nil {
			t.Errorf("value.paid on %s: %v, %v; want %v", v, ok, err, want)
		}
	}
	s, err := Compile(&Spec{Filter: "value.paid", Aggregate: AggCount})
	if err != nil {
		t.Fatal(err)
	}
	if out, _, _, _, err := s.eval(&kgo.Record{Key: []byte("k"), Value: []byte(`{"paid":true}`)}); out != outApply || err != nil {
		t.Fatalf("projection filter value.paid: %v %v", out, err)
	}
}

func TestFilterTestForSearches(t *testing.T) {
	f, err := CompileFilter(`value.status == "x"`)
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		val     []byte
		want    Verdict
		wantErr bool
	}{
		{[]byte(`{"status":"x"}`), Matched, false},
		{[]byte(`{"status":"y"}`), NoMatch, false},
		{nil, NoMatch, false},                   // a tombstone has no fields
		{[]byte{0xff, 0x00}, Unreadable, false}, // binary
	}
	for _, c := range cases {
		v, err := f.Test(&kgo.Record{Value: c.val})
		if v != c.want || (err != nil) != c.wantErr {
			t.Errorf("Test(%q) = %v, %v; want %v", c.val, v, err, c.want)
		}
	}
	nilf, _ := CompileFilter(`value == nil`)
	if v, err := nilf.Test(&kgo.Record{}); v != Matched || err != nil {
		t.Errorf("value == nil on a tombstone: %v %v", v, err)
	}
	// A non-boolean result at run time is an error, not a silent miss.
	numf, err := CompileFilter(`value.n`)
	if err != nil {
		t.Fatal(err)
	}
	if v, err := numf.Test(&kgo.Record{Value: []byte(`{"n":3}`)}); v != NoMatch || err == nil {
		t.Errorf("value.n = 3: %v %v", v, err)
	}
}

// A filter reuses one value map for every record: a field of the previous
// record never shows through in the next.
func TestFilterReusedValueIsCleared(t *testing.T) {
	f, err := CompileFilter(`value.a == 1 && value.b == 2`)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		v    string
		want Verdict
	}{{`{"a":1,"b":2}`, Matched}, {`{"a":1}`, NoMatch}, {`{"b":2,"a":1,"c":3}`, Matched}, {`{"c":3}`, NoMatch}} {
		v, err := f.Test(&kgo.Record{Value: []byte(c.v)})
		if err != nil && c.want == Matched {
			t.Fatal(err)
		}
		if v != c.want {
			t.Errorf("%s: %v, want %v", c.v, v, c.want)
		}
	}
}

// A search's filter (one pass, reused map) means what the same filter
// means on the other paths: the map built per record and the full decode.
func TestFilterPathsAgree(t *testing.T) {
	for _, v := range []string{
		`{"customer":"a","amount":5}`, `{"customer":"a","amount":5,"customer":"b"}`, `{"customer":"a","amount":5`,
		`{"customer":"a"}garbage`, `{"customer":"a","amount":1e400}`, `{"amount":"12","customer":"a"}`,
		`{"customer":{"id":1},"amount":4}`, `[1,2]`, `"text"`, `null`, `7`, ` {"customer":"a","amount":9} `,
		`{"customer":"a\u0062","amount":9}`, `{"cust\u006fmer":"a","amount":9}`, `not json`,
	} {
		assertFilterPathsAgree(t, []byte(v))
	}
}

func FuzzFilterPathsAgree(f *testing.F) {
	for _, s := range []string{`{"customer":"a","amount":5}`, `{"customer":"a","customer":"b","amount":1e400}`, `{"amount":`, `[]`, "\xff"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, v []byte) { assertFilterPathsAgree(t, v) })
}

const agreeExpr = `value.customer == "a" && value.amount > 3`

func assertFilterPathsAgree(t *testing.T, v []byte) {
	t.Helper()
	search, err := CompileFilter(agreeExpr)
	if err != nil {
		t.Fatal(err)
	}
	perRecord, _ := CompileFilter(agreeExpr)
	perRecord.c.transient = false
	full, _ := CompileFilter(`value == value && ` + agreeExpr)
	if !search.c.topLevel || full.c.topLevel && !full.c.fullValue {
		t.Fatal("the filters do not take the paths this test is about")
	}
	type res struct {
		v     Verdict
		isErr bool
	}
	test := func(f *Filter) res {
		vd, err := f.Test(&kgo.Record{Topic: "t", Value: v})
		return res{vd, err != nil}
	}
	a, b, c := test(search), test(perRecord), test(full)
	if a != b || a != c {
		t.Errorf("%q: search %+v, per-record map %+v, full decode %+v", v, a, b, c)
	}
}
