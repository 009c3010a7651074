package decode

import (
	"encoding/binary"
	"fmt"
)

// The Confluent wire format: byte 0 is the magic byte 0, bytes 1-4 the
// schema id (big endian), then the payload. Protobuf payloads start with the
// message-index list: a zigzag varint count, then that many zigzag varint
// indexes (a count of 0 is short for [0], the first message of the file).

// headerLen is the magic byte plus the schema id.
const headerLen = 5

// maxIndexes bounds the message-index list: real schemas nest a few levels.
const maxIndexes = 64

// WireError says why bytes are not (or not fully) in the wire format. Offset
// is a byte position in the whole value.
type WireError struct {
	Offset int
	Msg    string
}

func (e *WireError) Error() string { return e.Msg }

// ParseHeader splits a Confluent-framed value into schema id and payload.
func ParseHeader(b []byte) (id int, payload []byte, err error) {
	if len(b) == 0 {
		return 0, nil, &WireError{0, "empty value, no wire-format header"}
	}
	if b[0] != 0 {
		return 0, nil, &WireError{0, fmt.Sprintf("first byte 0x%02x is not the magic byte 0 of the Confluent wire format", b[0])}
	}
	if len(b) < headerLen {
		return 0, nil, &WireError{len(b), fmt.Sprintf("magic byte 0 but the value ends early at byte %d (a 5-byte header needs a 4-byte schema id)", len(b))}
	}
	u := binary.BigEndian.Uint32(b[1:headerLen])
	if u > 1<<31-1 {
		return 0, nil, &WireError{1, fmt.Sprintf("schema id %d out of range", u)}
	}
	return int(u), b[headerLen:], nil
}

// ParseIndexes reads the Protobuf message-index list at the start of
// payload. base is payload's offset in the whole value, for messages.
func ParseIndexes(payload []byte, base int) (idx []int, rest []byte, err error) {
	n, k := binary.Varint(payload)
	if k < 0 {
		return nil, nil, &WireError{base, fmt.Sprintf("malformed protobuf message-index count at byte %d", base)}
	}
	if k == 0 {
		return nil, nil, &WireError{base + len(payload), fmt.Sprintf("payload ends early at byte %d, inside the protobuf message-index count", base+len(payload))}
	}
	pos := k
	if n == 0 {
		return []int{0}, payload[pos:], nil
	}
	if n < 0 || n > maxIndexes {
		return nil, nil, &WireError{base, fmt.Sprintf("protobuf message-index count %d at byte %d is not in 1..%d", n, base, maxIndexes)}
	}
	idx = make([]int, n)
	for i := range idx {
		v, k := binary.Varint(payload[pos:])
		if k < 0 {
			return nil, nil, &WireError{base + pos, fmt.Sprintf("malformed protobuf message index at byte %d", base+pos)}
		}
		if k == 0 {
			return nil, nil, &WireError{base + len(payload), fmt.Sprintf("payload ends early at byte %d, inside the protobuf message-index list", base+len(payload))}
		}
		if v < 0 || v > 1<<20 {
			return nil, nil, &WireError{base + pos, fmt.Sprintf("protobuf message index %d at byte %d is out of range", v, base+pos)}
		}
		idx[i] = int(v)
		pos += k
	}
	return idx, payload[pos:], nil
}

// AppendHeader appends the wire-format header for schema id, and for
// Protobuf the message-index list (nil: none, for Avro and JSON Schema).
func AppendHeader(dst []byte, id int, index []int) []byte {
	dst = append(dst, 0, byte(id>>24), byte(id>>16), byte(id>>8), byte(id))
	if index == nil {
		return dst
	}
	if len(index) == 1 && index[0] == 0 {
		return append(dst, 0)
	}
	dst = binary.AppendVarint(dst, int64(len(index)))
	for _, i := range index {
		dst = binary.AppendVarint(dst, int64(i))
	}
	return dst
}
