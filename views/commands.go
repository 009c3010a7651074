package views

import "github.com/rewind-log/rewind/ui"

// Commands are the ":" palette entries of the browsing screens. Later
// screens (groups, lag, replays) add theirs here.
func Commands(env *Env) []ui.Command {
	return []ui.Command{
		{Name: "topics", Desc: "list topics", Open: func() ui.Screen { return NewTopics(env) }},
		{Name: "brokers", Desc: "brokers: controller, partitions led, log dirs", Open: func() ui.Screen { return NewBrokers(env) }},
		{Name: "groups", Desc: "consumer groups: lag and health", Open: func() ui.Screen { return NewGroups(env, "") }},
		{Name: "projections", Desc: "projection runs: progress, side-by-side diff", Open: func() ui.Screen { return NewProjections(env) }},
		{Name: "audit", Desc: "audit trail: every write and refusal", Open: func() ui.Screen { return NewAudit(env, env.DataDir) }},
		{Name: "contexts", Desc: "clusters of config.yaml: switch to another", Open: func() ui.Screen { return NewContexts(env) }},
		{Name: "replays", Desc: "isolated replay groups: follow one side by side", Open: func() ui.Screen { return NewReplays(env, env.DataDir) }},
	}
}
