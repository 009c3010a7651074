package connect

// TopicSettings are per-topic settings of a context, under
// `contexts[].topics.<topic>` in config.yaml. Stream decode owns this type:
// add fields (with yaml tags) for how a topic's keys and values are decoded.
// Unknown keys are rejected when the file is read, so a typo is an error.
type TopicSettings struct{}
