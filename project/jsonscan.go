package project

// scanJSON validates b as exactly one JSON document (RFC 8259; surrounding
// whitespace allowed) in one pass and, when it is an object, calls member
// for each of its top-level members in order, with the key as written
// (escaped when esc) and the raw value. It reports whether the document is
// an object and whether it is valid. The fast path reads the fields it
// needs from these members, so validating the record and finding its
// fields cost one scan, not two.
//
// Nesting deeper than maxJSONDepth is invalid: bounded work and stack per
// record, whatever the bytes.
func scanJSON(b []byte, member func(key []byte, esc bool, v []byte)) (object, ok bool) {
	s := jscan{b: b}
	s.ws()
	if s.i < len(b) && b[s.i] == '{' {
		object = true
		if !s.object(0, member) {
			return true, false
		}
	} else if !s.value(0) {
		return false, false
	}
	s.ws()
	return object, s.i == len(b)
}

const maxJSONDepth = 10000 // as encoding/json

// plain marks the bytes a string holds as they are.
var plain = func() (t [256]bool) {
	for c := 0x20; c < 256; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return
}()

type jscan struct {
	b []byte
	i int
}

func (s *jscan) ws() {
	for s.i < len(s.b) {
		switch s.b[s.i] {
		case ' ', '\t', '\n', '\r':
			s.i++
		default:
			return
		}
	}
}

// object scans an object whose members are at depth+1, reporting each
// member to member when it is not nil (the top level's).
func (s *jscan) object(depth int, member func(key []byte, esc bool, v []byte)) bool {
	s.i++ // '{'
	s.ws()
	if s.i < len(s.b) && s.b[s.i] == '}' {
		s.i++
		return true
	}
	for {
		s.ws()
		ks := s.i
		esc, ok := s.str()
		if !ok {
			return false
		}
		key := s.b[ks+1 : s.i-1]
		s.ws()
		if s.i >= len(s.b) || s.b[s.i] != ':' {
			return false
		}
		s.i++
		s.ws()
		vs := s.i
		if !s.value(depth + 1) {
			return false
		}
		if member != nil {
			member(key, esc, s.b[vs:s.i])
		}
		if done, ok := s.next('}'); done || !ok {
			return ok
		}
	}
}

// array scans an array whose elements are at depth+1.
func (s *jscan) array(depth int) bool {
	s.i++ // '['
	s.ws()
	if s.i < len(s.b) && s.b[s.i] == ']' {
		s.i++
		return true
	}
	for {
		s.ws()
		if !s.value(depth + 1) {
			return false
		}
		if done, ok := s.next(']'); done || !ok {
			return ok
		}
	}
}

// next scans what follows a member or an element: a comma (more to
// come) or the closing bracket (done).
func (s *jscan) next(closing byte) (done, ok bool) {
	s.ws()
	if s.i >= len(s.b) {
		return false, false
	}
	switch s.b[s.i] {
	case ',':
		s.i++
		return false, true
	case closing:
		s.i++
		return true, true
	}
	return false, false
}

func (s *jscan) value(depth int) bool {
	if s.i >= len(s.b) || depth > maxJSONDepth {
		return false
	}
	switch c := s.b[s.i]; {
	case c == '"':
		_, ok := s.str()
		return ok
	case c == '{':
		return s.object(depth, nil)
	case c == '[':
		return s.array(depth)
	case c == '-' || (c >= '0' && c <= '9'):
		return s.number()
	case c == 't':
		return s.lit("true")
	case c == 'f':
		return s.lit("false")
	case c == 'n':
		return s.lit("null")
	}
	return false
}

func (s *jscan) lit(w string) bool {
	if len(s.b)-s.i < len(w) || string(s.b[s.i:s.i+len(w)]) != w {
		return false
	}
	s.i += len(w)
	return true
}

// str scans a string (s.b[s.i] must be '"'); esc reports a backslash.
func (s *jscan) str() (esc, ok bool) {
	if s.i >= len(s.b) || s.b[s.i] != '"' {
		return false, false
	}
	s.i++
	for s.i < len(s.b) {
		for s.i < len(s.b) && plain[s.b[s.i]] {
			s.i++ // the common case: no quote, backslash or control byte
		}
		if s.i >= len(s.b) {
			break
		}
		c := s.b[s.i]
		switch {
		case c == '"':
			s.i++
			return esc, true
		case c < 0x20:
			return false, false
		case c == '\\':
			esc = true
			if s.i+1 >= len(s.b) {
				return false, false
			}
			switch s.b[s.i+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				s.i += 2
			case 'u':
				if len(s.b)-s.i < 6 {
					return false, false
				}
				for _, h := range s.b[s.i+2 : s.i+6] {
					if !(h >= '0' && h <= '9' || h >= 'a' && h <= 'f' || h >= 'A' && h <= 'F') {
						return false, false
					}
				}
				s.i += 6
			default:
				return false, false
			}
		default:
			s.i++
		}
	}
	return false, false
}

// number scans -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
func (s *jscan) number() bool {
	b := s.b
	if s.i < len(b) && b[s.i] == '-' {
		s.i++
	}
	if s.i >= len(b) {
		return false
	}
	if b[s.i] == '0' {
		s.i++
	} else if b[s.i] >= '1' && b[s.i] <= '9' {
		for s.i < len(b) && b[s.i] >= '0' && b[s.i] <= '9' {
			s.i++
		}
	} else {
		return false
	}
	digits := func() bool {
		st := s.i
		for s.i < len(b) && b[s.i] >= '0' && b[s.i] <= '9' {
			s.i++
		}
		return s.i > st
	}
	if s.i < len(b) && b[s.i] == '.' {
		s.i++
		if !digits() {
			return false
		}
	}
	if s.i < len(b) && (b[s.i] == 'e' || b[s.i] == 'E') {
		s.i++
		if s.i < len(b) && (b[s.i] == '+' || b[s.i] == '-') {
			s.i++
		}
		if !digits() {
			return false
		}
	}
	return true
}
