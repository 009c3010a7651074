package decode

import (
	"testing"

	"github.com/hamba/avro/v2"
)

// Each logical type is rendered only on the kind it annotates; on any
// other kind the value is shown as its underlying type.
func TestLogicalOfOnlyOnItsKind(t *testing.T) {
	cases := []struct {
		name    string
		on      akind
		renders alogical
	}{
		{"date", aInt, lDate}, {"time-millis", aInt, lTimeMillis}, {"time-micros", aLong, lTimeMicros},
		{"timestamp-millis", aLong, lTsMillis}, {"timestamp-micros", aLong, lTsMicros},
		{"local-timestamp-millis", aLong, lLocalTsMillis}, {"local-timestamp-micros", aLong, lLocalTsMicros},
	}
	for _, c := range cases {
		for _, k := range []akind{aInt, aLong, aBytes, aFixed, aString} {
			got, scale := logicalOf(avro.NewPrimitiveLogicalSchema(avro.LogicalType(c.name)), k)
			exp := lNone
			if k == c.on {
				exp = c.renders
			}
			if got != exp || scale != 0 {
				t.Errorf("%s on kind %d: got %d scale %d, want %d", c.name, k, got, scale, exp)
			}
		}
	}
	if got, _ := logicalOf(avro.NewPrimitiveLogicalSchema(avro.UUID), aString); got != lNone {
		t.Errorf("uuid: got %d, want none", got)
	}
	if got, _ := logicalOf(nil, aLong); got != lNone {
		t.Errorf("no logical type: got %d", got)
	}
	dec := avro.NewDecimalLogicalSchema(9, 2)
	for _, k := range []akind{aBytes, aFixed} {
		if got, scale := logicalOf(dec, k); got != lDecimal || scale != 2 {
			t.Errorf("decimal on kind %d: got %d scale %d", k, got, scale)
		}
	}
	if got, _ := logicalOf(dec, aLong); got != lNone {
		t.Errorf("decimal on a long: got %d", got)
	}
	if got, _ := logicalOf(avro.NewDecimalLogicalSchema(2000, 1001), aBytes); got != lNone {
		t.Errorf("decimal with a hostile scale: got %d", got)
	}
}
