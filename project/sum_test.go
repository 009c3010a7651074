package project

import (
	"math"
	"math/big"
	"math/rand"
	"testing"
)

// randFloat draws values of every kind a sum meets: amounts with cents,
// integers, tiny and huge magnitudes, values at the fixed-point limits,
// negatives, and values that do not fit (they move the sum to big.Float).
func randFloat(r *rand.Rand) float64 {
	var f float64
	switch r.Intn(8) {
	case 0:
		f = float64(r.Intn(1_000_000)) / 100
	case 1:
		f = float64(r.Int63n(1 << 40))
	case 2:
		f = math.Ldexp(float64(r.Int63n(1<<53)), r.Intn(140)-120) // around the 2^-64 and 2^61 edges
	case 3:
		f = math.Ldexp(1, -64+r.Intn(3)-1)
	case 4:
		f = math.Ldexp(float64(1<<53-1), 61-53+r.Intn(3)-1)
	case 5:
		f = r.NormFloat64() * 1e6
	case 6:
		f = math.Ldexp(r.Float64(), r.Intn(2000)-1000)
	default:
		f = 0.1 * float64(r.Intn(100))
	}
	if r.Intn(2) == 0 {
		f = -f
	}
	return f
}

// TestFixedSumMatchesBig: the fixed-point sum (with its fallback) gives the
// same float64, bit for bit, as the exact big.Float sum, in any order, and
// its state survives encode/decode.
func TestFixedSumMatchesBig(t *testing.T) {
	r := rand.New(rand.NewSource(3))
	for round := range 3000 {
		n := 1 + r.Intn(40)
		vals := make([]float64, n)
		for i := range vals {
			vals[i] = randFloat(r)
			if round%3 == 0 {
				vals[i] = float64(r.Intn(200000)-100000) / 100 // stays in fixed point
			}
		}
		want := newSum()
		for _, v := range vals {
			want.Add(want, new(big.Float).SetFloat64(v))
		}
		wf, _ := want.Float64()
		var scratch *big.Float
		for _, order := range [][]float64{vals, shuffled(r, vals)} {
			c := &cell{}
			for _, v := range order {
				c.addSum(v, &scratch)
				c.count++
			}
			for _, agg := range []string{AggSum, AggAvg} {
				got := rowJSON(agg, c)
				var d cell
				if err := decodeState(agg, encodeState(agg, c), &d); err != nil {
					t.Fatal(err)
				}
				if again := rowJSON(agg, &d); string(again) != string(got) {
					t.Fatalf("%s after decode %s, before %s (%v)", agg, again, got, vals)
				}
				ref := &cell{sum: want, count: c.count}
				if w := rowJSON(agg, ref); string(got) != string(w) {
					t.Fatalf("%s of %v: %s, exact %s (float %v)", agg, vals, got, w, wf)
				}
			}
		}
	}
}

func shuffled(r *rand.Rand, v []float64) []float64 {
	out := append([]float64(nil), v...)
	r.Shuffle(len(out), func(i, j int) { out[i], out[j] = out[j], out[i] })
	return out
}

// TestFixedSumFallback: values outside the fixed-point range, and sums that
// would overflow it, move the cell to big.Float; the result stays exact.
func TestFixedSumFallback(t *testing.T) {
	var scratch *big.Float
	c := &cell{}
	c.addSum(0.25, &scratch)
	if c.sum != nil {
		t.Fatal("0.25 left fixed point")
	}
	c.addSum(math.Ldexp(1, -70), &scratch) // below 2^-64
	if c.sum == nil {
		t.Fatal("2^-70 stayed in fixed point")
	}
	if f, _ := c.sum.Float64(); f != 0.25+math.Ldexp(1, -70) {
		t.Fatalf("sum %v", f)
	}
	big1 := math.Ldexp(1, 60)
	c = &cell{}
	for range 70 { // 70 * 2^60 passes 2^62 (2^126 units of 2^-64)
		c.addSum(big1, &scratch)
	}
	if c.sum == nil {
		t.Fatal("a sum past 2^62 stayed in fixed point")
	}
	if f, _ := c.sum.Float64(); f != 70*big1 {
		t.Fatalf("sum %v, want %v", f, 70*big1)
	}
}
