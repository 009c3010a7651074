package project

import (
	"bytes"
	"encoding/json"
	"math"
	"strconv"
	"unsafe"
)

// Numbers of a diff, for display: a projection's sums are float64s, whose
// shortest JSON form carries the binary rounding of decimal amounts
// (23696.920000000002). Shown, they are rounded to 12 significant digits
// (more for large integer parts), never in exponent form below 1e21; an
// integer literal is shown exactly. The stored values and every export keep
// the exact JSON. The Append forms allocate nothing (a 1M-row diff table).

// ShowNumber returns the JSON number v as shown, and false when v is not a
// number.
func ShowNumber(v json.RawMessage) (string, bool) {
	b, ok := AppendNumber(nil, v)
	return string(b), ok
}

// Delta returns right - left of two JSON numbers as shown, signed ("+12.5",
// "-3", "0"), and false when either is not a number.
func Delta(left, right json.RawMessage) (string, bool) {
	b, ok := AppendDelta(nil, left, right)
	return string(b), ok
}

// AppendNumber appends the JSON number v as shown to dst; false (dst
// unchanged) when v is not a number.
func AppendNumber(dst, v []byte) ([]byte, bool) {
	v = bytes.TrimSpace(v)
	if isInteger(v) {
		return append(dst, v...), true // exact as it is, however long
	}
	f, ok := number(v)
	if !ok {
		return dst, false
	}
	return appendFloat(dst, f), true
}

// AppendDelta appends right - left of two JSON numbers, signed, to dst; false
// (dst unchanged) when either is not a number.
func AppendDelta(dst, left, right []byte) ([]byte, bool) {
	l, r := bytes.TrimSpace(left), bytes.TrimSpace(right)
	if isInteger(l) && isInteger(r) {
		a, aerr := strconv.ParseInt(str(l), 10, 64)
		b, berr := strconv.ParseInt(str(r), 10, 64)
		if d := b - a; aerr == nil && berr == nil && (b >= a) == (d >= 0) { // no overflow
			if d > 0 {
				dst = append(dst, '+')
			}
			return strconv.AppendInt(dst, d, 10), true
		}
	}
	a, aok := number(l)
	b, bok := number(r)
	if !aok || !bok {
		return dst, false
	}
	d := b - a
	if d > 0 {
		dst = append(dst, '+')
	}
	// To the decimals the two values are shown with: 23700.02 - 23696.92 is
	// 3.1, not the 3.10000000001 of the binary subtraction.
	var buf [40]byte
	dec := max(decimals(appendFloat(buf[:0], a)), decimals(appendFloat(buf[:0], b)))
	if dec < 0 || math.Abs(d) >= 1e15 {
		return appendFloat(dst, d), true
	}
	n := len(dst)
	dst = strconv.AppendFloat(dst, d, 'f', dec, 64)
	if dec > 0 { // trailing zeros and point
		for dst[len(dst)-1] == '0' {
			dst = dst[:len(dst)-1]
		}
		if dst[len(dst)-1] == '.' {
			dst = dst[:len(dst)-1]
		}
	}
	if s := dst[n:]; len(s) == 2 && s[0] == '-' && s[1] == '0' {
		dst = append(dst[:n], '0')
	}
	return dst, true
}

// decimals counts the digits after the point of a shown number; -1 for an
// exponent form.
func decimals(s []byte) int {
	if bytes.ContainsAny(s, "eE") {
		return -1
	}
	if i := bytes.IndexByte(s, '.'); i >= 0 {
		return len(s) - i - 1
	}
	return 0
}

// isInteger reports a JSON integer literal: -?[0-9]+.
func isInteger(s []byte) bool {
	d := bytes.TrimPrefix(s, []byte("-"))
	if len(d) == 0 {
		return false
	}
	for _, c := range d {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// number parses a JSON number (not a string holding one).
func number(s []byte) (float64, bool) {
	if len(s) == 0 || (s[0] != '-' && (s[0] < '0' || s[0] > '9')) {
		return 0, false
	}
	f, err := strconv.ParseFloat(str(s), 64)
	return f, err == nil && !math.IsInf(f, 0)
}

// str views b as a string without copying it (for parsing only).
func str(b []byte) string { return unsafe.String(unsafe.SliceData(b), len(b)) }

func appendFloat(dst []byte, f float64) []byte {
	digits := 12
	if a := math.Abs(f); a >= 1e10 {
		digits = min(17, int(math.Floor(math.Log10(a)))+3) // the integer part and cents
	}
	n := len(dst)
	dst = strconv.AppendFloat(dst, f, 'g', digits, 64)
	if a := math.Abs(f); bytes.ContainsAny(dst[n:], "eE") && a < 1e21 && a >= 1e-6 {
		g, _ := strconv.ParseFloat(str(dst[n:]), 64)
		dst = strconv.AppendFloat(dst[:n], g, 'f', -1, 64)
	}
	if s := dst[n:]; len(s) == 2 && s[0] == '-' && s[1] == '0' {
		dst = append(dst[:n], '0')
	}
	return dst
}
