// Package profiling turns on Go's profilers from the environment, for
// measuring rewind itself (bench/, issue 11). Hidden on purpose: no flag,
// nothing changes unless a variable is set.
//
//	REWIND_PPROF=127.0.0.1:6060   serve net/http/pprof on that address
//	REWIND_CPUPROFILE=FILE        write a CPU profile of the whole run to FILE
//	REWIND_MEMPROFILE=FILE        write the allocations profile to FILE at exit
//
// Only loopback addresses are served: a profile shows record bytes held in
// memory, which must not leave the machine.
package profiling

import (
	"fmt"
	"net"
	"net/http"
	"net/http/pprof"
	"os"
	runpprof "runtime/pprof"
)

// Start starts what the environment asks for and returns the function that
// stops it (flushes the CPU profile). Failures are reported on stderr and
// never stop the program: profiling is a measurement aid.
func Start() (stop func()) {
	var stops []func()
	if addr := os.Getenv("REWIND_PPROF"); addr != "" {
		if s, err := serve(addr); err != nil {
			fmt.Fprintf(os.Stderr, "rewind: REWIND_PPROF=%s: %v\n", addr, err)
		} else {
			stops = append(stops, s)
		}
	}
	if path := os.Getenv("REWIND_CPUPROFILE"); path != "" {
		if s, err := cpu(path); err != nil {
			fmt.Fprintf(os.Stderr, "rewind: REWIND_CPUPROFILE=%s: %v\n", path, err)
		} else {
			stops = append(stops, s)
		}
	}
	if path := os.Getenv("REWIND_MEMPROFILE"); path != "" {
		stops = append(stops, func() {
			f, err := os.Create(path)
			if err != nil {
				fmt.Fprintf(os.Stderr, "rewind: REWIND_MEMPROFILE=%s: %v\n", path, err)
				return
			}
			defer f.Close()
			if err := runpprof.Lookup("allocs").WriteTo(f, 0); err != nil {
				fmt.Fprintf(os.Stderr, "rewind: REWIND_MEMPROFILE=%s: %v\n", path, err)
			}
		})
	}
	return func() {
		for _, s := range stops {
			s()
		}
	}
}

func serve(addr string) (func(), error) {
	stop, _, err := listen(addr)
	return stop, err
}

// listen serves pprof on addr and returns the address it listens on.
func listen(addr string) (func(), string, error) {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, "", err
	}
	if ip := net.ParseIP(host); host != "localhost" && (ip == nil || !ip.IsLoopback()) {
		return nil, "", fmt.Errorf("only a loopback address is served (127.0.0.1:PORT)")
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, "", err
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	srv := &http.Server{Handler: mux}
	go func() { _ = srv.Serve(ln) }()
	return func() { _ = srv.Close() }, ln.Addr().String(), nil
}

func cpu(path string) (func(), error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	if err := runpprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, err
	}
	return func() {
		runpprof.StopCPUProfile()
		f.Close()
	}, nil
}
