package connect

// GroupSettings are per-consumer-group settings of a context, under
// `contexts[].groups.<group>` in config.yaml. Stream lag owns this type:
// add fields (with yaml tags) such as lag thresholds for the verdicts.
// Unknown keys are rejected when the file is read, so a typo is an error.
type GroupSettings struct {
	// LagThreshold is the time lag over which the group's verdict is LATE
	// (default 15m): a duration ("30m", "2h", "1d") or "off".
	LagThreshold string `yaml:"lag_threshold"`
}
