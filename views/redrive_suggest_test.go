package views

import "testing"

// The headers offered checked for dropping: trace context under its
// common names (the demo world's trace-id among them) and replication
// markers; an ordinary header is not suggested.
func TestDropSuggestion(t *testing.T) {
	for name, want := range map[string]string{
		"traceparent":       "trace id",
		"trace-id":          "trace id",
		"X-Amzn-Trace-Id":   "trace id",
		"uber-trace-id":     "trace id",
		"x-b3-spanid":       "trace id",
		"__mm2_source":      "replication marker",
		"replicator-source": "replication marker",
		"content-type":      "",
		"schema":            "",
	} {
		if got := dropSuggestion(name); got != want {
			t.Errorf("dropSuggestion(%q) = %q, want %q", name, got, want)
		}
	}
}
