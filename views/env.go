// Package views holds one screen per file (topics, partitions, records,
// record detail, ...). Screens talk to the backend only through tea.Cmds
// that return messages; Update never blocks.
package views

import (
	"time"

	"github.com/rewind-log/rewind/backend"
	"github.com/rewind-log/rewind/backend/decode"
	"github.com/rewind-log/rewind/backend/laghist"
	"github.com/rewind-log/rewind/themes"
)

// Env is what every screen needs: the cluster connection and the theme.
type Env struct {
	Cluster *backend.Cluster
	Theme   themes.Theme
	// DataDir holds rewind's own state: the audit trail and replay records.
	DataDir string
	// Lag is the lag history sampler running for this cluster (nil in
	// tests that do not need one).
	Lag *laghist.Sampler
	// Now is the clock (tests pin it); nil means time.Now.
	Now func() time.Time
	// Loc is the zone record times are shown and typed in (tests pin it);
	// nil means the local zone.
	Loc *time.Location
	// Contexts are the config file's contexts for :contexts (nil: none).
	Contexts *Contexts
	// Decoder decodes keys and values (registry, Avro, Protobuf, ...) for
	// the record screens; nil shows raw bytes.
	Decoder *decode.Decoder
	// Runs are the projection runs started from :projections; the caller
	// closes them on exit (nil: made on first use).
	Runs *Runs
}

func (e *Env) now() time.Time {
	if e.Now != nil {
		return e.Now()
	}
	return time.Now()
}

// clock is now in the zone of record times (Loc).
func (e *Env) clock() time.Time {
	if e.Loc != nil {
		return e.now().In(e.Loc)
	}
	return e.now().Local()
}
