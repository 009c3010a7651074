package cli

// Flag types several commands share. A command embeds the struct where the
// flags belong in its help; what differs between commands (what one JSON
// object is, whose commits --all-topics means) comes from kong `set:` vars,
// with the defaults in flagVars.

// flagVars are the defaults of the vars the shared flags' help uses.
var flagVars = map[string]string{
	"output_what": "Output", // what -o formats
	"json_shape":  "",       // what one JSON object is, e.g. " (one object per line)"
	"commits_of":  "the group",
}

// OutputFlag is -o table|json.
type OutputFlag struct {
	Output string `short:"o" enum:"table,json,yaml" default:"table" help:"${output_what} format: table, json or yaml${json_shape}."`
}

// ScopeFlags choose the partitions a reset or replay plan covers.
type ScopeFlags struct {
	Topic     []string `short:"t" sep:"none" placeholder:"TOPIC[:P,...]" help:"Topic, optionally with partitions (repeatable)."`
	AllTopics bool     `name:"all-topics" help:"Every partition ${commits_of} has a commit on."`
}

// PlanFlags are what a reset or replay plan accepts besides its scope.
type PlanFlags struct {
	AllowPartial bool   `name:"allow-partial" help:"Accept a window that retention has cut short: replay what is left, labelled PARTIAL."`
	Export       string `placeholder:"FILE" help:"Write the plan's targets as CSV (topic,partition,offset) to FILE."`
}
