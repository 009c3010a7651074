package project

import (
	"math"
	"math/big"
	"math/bits"
)

// fixedSum is an exact sum held as a 128-bit two's complement integer of
// 2^-64 units: every float64 with magnitude below 2^61 whose lowest set bit
// is at least 2^-64 (amounts, counts, prices: nearly all real values) adds
// exactly, without allocating. A value outside that range, or a sum that
// would overflow, moves the cell to the big.Float sum (see cell.add), which
// is exact too: both give the same bits whatever the order of the records.
type fixedSum struct {
	hi int64
	lo uint64
}

// fixedOf converts f to 2^-64 units, or reports that it does not fit.
func fixedOf(f float64) (fixedSum, bool) {
	if f == 0 {
		return fixedSum{}, true
	}
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return fixedSum{}, false
	}
	b := math.Float64bits(f)
	exp := int(b>>52&0x7ff) - 1075 // f = mant * 2^exp
	mant := b & (1<<52 - 1)
	if b>>52&0x7ff == 0 {
		exp = -1074 // subnormal
	} else {
		mant |= 1 << 52
	}
	tz := bits.TrailingZeros64(mant)
	mant >>= tz
	exp += tz
	// f * 2^64 = mant * 2^(exp+64): an integer when exp+64 >= 0, and below
	// 2^125 (room for 2^2 additions before the overflow check) when
	// bits.Len64(mant)+exp+64 <= 125.
	s := exp + 64
	if s < 0 || bits.Len64(mant)+s > 125 {
		return fixedSum{}, false
	}
	var hi, lo uint64
	if s >= 64 {
		hi = mant << (s - 64)
	} else {
		lo = mant << s
		if s > 0 {
			hi = mant >> (64 - s)
		}
	}
	v := fixedSum{hi: int64(hi), lo: lo}
	if f < 0 {
		v = v.neg()
	}
	return v, true
}

func (a fixedSum) neg() fixedSum {
	lo, borrow := bits.Sub64(0, a.lo, 0)
	hi, _ := bits.Sub64(0, uint64(a.hi), borrow)
	return fixedSum{hi: int64(hi), lo: lo}
}

// add returns a+b, or false when the sum leaves the range kept clear of
// overflow (|sum| < 2^126).
func (a fixedSum) add(b fixedSum) (fixedSum, bool) {
	lo, carry := bits.Add64(a.lo, b.lo, 0)
	hi, _ := bits.Add64(uint64(a.hi), uint64(b.hi), carry)
	r := fixedSum{hi: int64(hi), lo: lo}
	// Both operands are below 2^126 in magnitude, so the true sum fits in
	// 128 bits; keep it below 2^126 so the next add cannot wrap.
	if top := r.hi >> 62; top != 0 && top != -1 {
		return a, false
	}
	return r, true
}

// float64 is the sum rounded to the nearest float64 (ties to even), as
// big.Float.Float64 rounds the exact sum.
func (a fixedSum) float64() float64 {
	neg := a.hi < 0
	m := a
	if neg {
		m = a.neg()
	}
	hi, lo := uint64(m.hi), m.lo
	if hi == 0 && lo == 0 {
		return 0
	}
	n := 64 + bits.Len64(hi) // significant bits of hi:lo
	if hi == 0 {
		n = bits.Len64(lo)
	}
	var mant uint64
	shift := n - 53
	if shift <= 0 {
		mant = lo // n <= 53: hi is 0, exact
		shift = 0
	} else {
		// mant = (hi:lo) >> shift; rem = the bits shifted out.
		var remHi, remLo uint64
		if shift >= 64 {
			mant = hi >> (shift - 64)
			remHi, remLo = hi&(1<<(shift-64)-1), lo
		} else {
			mant = lo>>shift | hi<<(64-shift)
			remLo = lo & (1<<shift - 1)
		}
		// half = 1 << (shift-1)
		var halfHi, halfLo uint64
		if shift-1 >= 64 {
			halfHi = 1 << (shift - 1 - 64)
		} else {
			halfLo = 1 << (shift - 1)
		}
		cmp := 0
		switch {
		case remHi > halfHi || (remHi == halfHi && remLo > halfLo):
			cmp = 1
		case remHi == halfHi && remLo == halfLo:
			cmp = 0
		default:
			cmp = -1
		}
		if cmp > 0 || (cmp == 0 && mant&1 == 1) {
			mant++
			if mant == 1<<53 {
				mant >>= 1
				shift++
			}
		}
	}
	f := math.Ldexp(float64(mant), shift-64)
	if neg {
		return -f
	}
	return f
}

// toBig sets z to the exact value of a.
func (a fixedSum) toBig(z *big.Float) *big.Float {
	neg := a.hi < 0
	m := a
	if neg {
		m = a.neg()
	}
	var i, l big.Int
	i.SetUint64(uint64(m.hi))
	i.Lsh(&i, 64)
	i.Or(&i, l.SetUint64(m.lo))
	z.SetInt(&i)
	z.SetMantExp(z, -64)
	if neg {
		z.Neg(z)
	}
	return z
}

// addSum adds f to a cell's exact sum: in fixed point while it fits, then
// in the big.Float it moves to for good.
func (c *cell) addSum(f float64, scratch **big.Float) {
	if c.sum == nil {
		if v, ok := fixedOf(f); ok {
			if s, ok := c.fx.add(v); ok {
				c.fx = s
				return
			}
		}
		c.sum = c.fx.toBig(newSum())
	}
	if *scratch == nil {
		*scratch = newSum()
	}
	c.sum.Add(c.sum, (*scratch).SetFloat64(f))
}

// exactSum is the cell's sum as a big.Float (a new one for a fixed sum).
func (c *cell) exactSum() *big.Float {
	if c.sum != nil {
		return c.sum
	}
	return c.fx.toBig(newSum())
}
