package connect

import "github.com/rewind-log/rewind/backend/decode"

// TopicSettings are per-topic settings of a context, under
// `contexts[].topics.<topic>` in config.yaml: how the topic's keys and
// values are decoded (the entry "*" applies to topics without their own).
// Unknown keys are rejected when the file is read, so a typo is an error.
//
//	topics:
//	  inventory:
//	    value: {format: protobuf, type: shop.Stock}   # with --proto-path, or the registry
//	  legacy-events:
//	    key:   {format: text}
//	    value: {type: /etc/schemas/event.avsc}
type TopicSettings struct {
	Key   decode.Spec `yaml:"key"`
	Value decode.Spec `yaml:"value"`
}
