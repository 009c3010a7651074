package decode

// Writing decoded Avro values as JSON text: timestamps, clocks, decimals,
// floats and bytes appended digit by digit, without allocating.

import (
	"encoding/base64"
	"math"
	"math/big"
	"strconv"
	"time"
)

func appendQuoted(dst []byte, t time.Time, layout string) []byte {
	dst = append(dst, '"')
	dst = t.AppendFormat(dst, layout)
	return append(dst, '"')
}

// appendTimestamp is appendQuoted with the layout
// "2006-01-02T15:04:05.000Z" (frac 3) or ".000000" (frac 6), Z when utc,
// written digit by digit: time.Format is most of an Avro record's decoding
// time. Years outside 0..9999 go through time.Format.
func appendTimestamp(dst []byte, t time.Time, frac int, utc bool) []byte {
	year, month, day := t.Date()
	if year < 0 || year > 9999 {
		layout := "2006-01-02T15:04:05.000"
		if frac == 6 {
			layout += "000"
		}
		if utc {
			layout += "Z07:00"
		}
		return appendQuoted(dst, t, layout)
	}
	hour, min, sec := t.Clock()
	f := t.Nanosecond() / 1000 // micros
	if frac == 3 {
		f /= 1000
	}
	dst = append(dst, '"')
	dst = appendDigits(dst, year, 4)
	dst = append(dst, '-')
	dst = appendDigits(dst, int(month), 2)
	dst = append(dst, '-')
	dst = appendDigits(dst, day, 2)
	dst = append(dst, 'T')
	dst = appendDigits(dst, hour, 2)
	dst = append(dst, ':')
	dst = appendDigits(dst, min, 2)
	dst = append(dst, ':')
	dst = appendDigits(dst, sec, 2)
	dst = append(dst, '.')
	dst = appendDigits(dst, f, frac)
	if utc {
		dst = append(dst, 'Z')
	}
	return append(dst, '"')
}

// appendDigits appends v (>= 0) zero-padded to width digits.
func appendDigits(dst []byte, v, width int) []byte {
	var b [8]byte
	for i := width - 1; i >= 0; i-- {
		b[i] = byte('0' + v%10)
		v /= 10
	}
	return append(dst, b[:width]...)
}

func appendClock(dst []byte, d int64, layout string) []byte {
	return appendQuoted(dst, time.Unix(0, 0).UTC().Add(time.Duration(d)), layout)
}

func appendFloat(dst []byte, f float64, bits int) []byte {
	switch {
	case math.IsNaN(f):
		return append(dst, `"NaN"`...)
	case math.IsInf(f, 1):
		return append(dst, `"Infinity"`...)
	case math.IsInf(f, -1):
		return append(dst, `"-Infinity"`...)
	}
	return strconv.AppendFloat(dst, f, 'g', -1, bits)
}

func appendBase64(dst, b []byte) []byte {
	dst = append(dst, '"')
	dst = base64.StdEncoding.AppendEncode(dst, b)
	return append(dst, '"')
}

// appendDecimal renders a big-endian two's-complement unscaled integer
// with scale digits after the point, as an exact JSON number.
func appendDecimal(dst, b []byte, scale int) []byte {
	if len(b) == 0 {
		return append(dst, '0')
	}
	if len(b) <= 8 { // fits an int64: no big.Int
		u := int64(int8(b[0])) // sign-extended
		for _, c := range b[1:] {
			u = u<<8 | int64(c)
		}
		var tmp [20]byte
		return appendScaled(dst, strconv.AppendInt(tmp[:0], u, 10), scale)
	}
	v := new(big.Int).SetBytes(b)
	if b[0]&0x80 != 0 {
		v.Sub(v, new(big.Int).Lsh(big.NewInt(1), uint(len(b))*8))
	}
	return appendScaled(dst, v.Append(nil, 10), scale)
}

// appendScaled writes the decimal digits of an unscaled integer (with its
// sign) with scale digits after the point.
func appendScaled(dst, digits []byte, scale int) []byte {
	if len(digits) > 0 && digits[0] == '-' {
		dst = append(dst, '-')
		digits = digits[1:]
	}
	if scale <= 0 {
		return append(dst, digits...)
	}
	if len(digits) <= scale { // 0.00ddd
		dst = append(dst, '0', '.')
		for i := len(digits); i < scale; i++ {
			dst = append(dst, '0')
		}
		return append(dst, digits...)
	}
	dst = append(dst, digits[:len(digits)-scale]...)
	dst = append(dst, '.')
	return append(dst, digits[len(digits)-scale:]...)
}
