package cli

import (
	"fmt"
	"reflect"
	"strings"
	"time"

	"github.com/alecthomas/kong"

	"github.com/rewind-log/rewind/backend"
	"github.com/rewind-log/rewind/internal/when"
	"github.com/rewind-log/rewind/themes"
)

// durationMapper makes every time.Duration flag (--timeout, --refresh,
// --stall-timeout, ...) take the one duration grammar of package when:
// 90m, 1d12h, PT1H, with overflow refused.
func durationMapper() kong.Option {
	return kong.TypeMapper(reflect.TypeOf(time.Duration(0)), kong.MapperFunc(func(ctx *kong.DecodeContext, target reflect.Value) error {
		var v string
		if err := ctx.Scan.PopValueInto("duration", &v); err != nil {
			return err
		}
		d, err := when.ParseDuration(v)
		if err != nil {
			return err
		}
		target.Set(reflect.ValueOf(d))
		return nil
	}))
}

// checkGlobals refuses global flag values that would otherwise silently
// mean something else: a zero or negative timeout, an unknown theme, an
// empty --data-dir (which would fall back to the default data dir).
func checkGlobals(g *Globals, kctx *kong.Context) error {
	positive := func(flag string, d time.Duration) error {
		if d <= 0 {
			return fmt.Errorf("--%s %s: want a duration above zero, e.g. 5s", flag, d)
		}
		return nil
	}
	if err := positive("timeout", g.Timeout); err != nil {
		return err
	}
	if err := positive("refresh", g.Refresh); err != nil {
		return err
	}
	if g.StallTimeout < 0 {
		return fmt.Errorf("--stall-timeout %s: want a duration above zero (or none for 6 x --timeout)", g.StallTimeout)
	}
	if _, err := themes.Get(g.Theme); err != nil {
		return fmt.Errorf("--theme: %w", err)
	}
	for _, f := range kctx.Flags() {
		if f.Name == "data-dir" && f.Set && strings.TrimSpace(g.DataDir) == "" {
			return fmt.Errorf("--data-dir %q: want a directory (leave the flag out for the default, %s)", g.DataDir, backend.DefaultDataDir())
		}
	}
	return nil
}
