// Package decode turns record keys and values into something a person (or
// a projection) can read: Confluent-framed Avro, Protobuf and JSON Schema
// resolved through a schema registry, local schemas, JSON, text, and raw
// bytes. Every screen, command and projection uses this one layer. It has
// no UI or cluster imports; the registry is reached over HTTP with
// franz-go's pkg/sr client.
//
// # Order of decoders
//
// A topic's key and value each have a Spec (context config or flags). With
// a forced Format only that decoder is tried, then text, then raw bytes.
// Otherwise ("auto") the order is fixed:
//
//  1. no bytes at all (nil): null.
//  2. Confluent wire format (byte 0 is 0 and there are at least 5 bytes):
//     the schema id is looked up in the registry and the payload decoded
//     by the schema's type (AVRO, PROTOBUF with its message-index list,
//     JSON). Without a registry the reason says so.
//  3. the topic's local schema, if any (Spec.Type: an .avsc file or a
//     Protobuf message in --proto-path): the value as is, then, if framed,
//     the payload after the header.
//  4. JSON: a value whose first non-space byte is { or [ and that parses.
//  5. UTF-8 text: valid UTF-8, no NUL, few control characters.
//  6. binary: shown as hex (detail view) or base64 (JSON output).
//
// A decoder that does not apply adds one line to Result.Tried saying why
// ("registry: schema id 42 not found in registry http://...", "avro:
// schema id 3 (shipments-value v2): payload ends early at byte 17, reading
// a string (in carrier)"); the record is always still shown.
//
// # Registry
//
// Schemas are fetched by id once and cached for the life of the process
// (ids are immutable); a missing id is asked again after 30s. When the
// registry does not answer, framed records show raw bytes with the reason
// and further lookups fail at once, retried with backoff (2s doubling to
// 30s): one Config.Warn message when it goes down and one when it is back,
// never one per record.
package decode
