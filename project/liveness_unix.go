//go:build unix

package project

import (
	"io"
	"os"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// lockHolder returns the pid of the process holding the state store's lock
// (Pebble's LOCK file, an fcntl lock), 0 when nobody holds it, -1 when it
// cannot tell. The kernel answers, so a recycled pid cannot pass for the
// run's process. A lock of this process is never reported (fcntl locks do
// not conflict with their owner): callers check the in-process stores.
func lockHolder(stateDir string) int {
	f, err := os.Open(stateDir + "/LOCK")
	if err != nil {
		if os.IsNotExist(err) {
			return 0
		}
		return -1
	}
	defer f.Close()
	spec := unix.Flock_t{Type: unix.F_WRLCK, Whence: io.SeekStart}
	if err := unix.FcntlFlock(f.Fd(), unix.F_GETLK, &spec); err != nil {
		return -1
	}
	if spec.Type == unix.F_UNLCK {
		return 0
	}
	return int(spec.Pid)
}

// processName is the command name of a process (/proc/PID/comm, Linux;
// empty elsewhere). Only the name: a command line can carry secrets.
func processName(pid int) string {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/comm")
	if err != nil {
		return ""
	}
	name := strings.TrimSpace(string(b))
	for _, r := range name {
		if r < 0x20 || r == 0x7f || r > 0x7e {
			return "" // not a plain name: say nothing rather than print it
		}
	}
	return name
}
