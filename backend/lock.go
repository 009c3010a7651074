package backend

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
)

// errDirLocked is what the platform lock returns when another process (or
// another Embedded in this process) holds the lock.
var errDirLocked = errors.New("locked")

// dirLock is an exclusive advisory lock on <datadir>/LOCK. kfake itself
// does not lock its data dir, and two brokers writing the same segment files
// would corrupt them, so the lock is taken before kfake touches the dir.
type dirLock struct {
	f *os.File
}

// lockDataDir takes the lock or fails with a one-line error naming the dir
// and, when it can be read, the pid of the holder.
func lockDataDir(dir string) (*dirLock, error) {
	path := filepath.Join(dir, "LOCK")
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		if errors.Is(err, os.ErrPermission) {
			return nil, fmt.Errorf("data dir %s is not writable: %w", dir, err)
		}
		return nil, fmt.Errorf("data dir %s: opening lock file: %w", dir, err)
	}
	if err := lockFile(f); err != nil {
		holder := readLockPid(f)
		f.Close()
		if errors.Is(err, errDirLocked) {
			if holder != "" {
				return nil, fmt.Errorf("data dir %s is in use by another rewind process (pid %s)", dir, holder)
			}
			return nil, fmt.Errorf("data dir %s is in use by another rewind process", dir)
		}
		return nil, fmt.Errorf("data dir %s: locking: %w", dir, err)
	}
	// The pid is informational only (the lock is the flock, not the file
	// content), so a failure to write it is not fatal.
	if err := f.Truncate(0); err == nil {
		_, _ = f.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0)
	}
	return &dirLock{f: f}, nil
}

func readLockPid(f *os.File) string {
	buf := make([]byte, 32)
	n, _ := f.ReadAt(buf, 0)
	pid := string(bytes.TrimSpace(buf[:n]))
	if _, err := strconv.Atoi(pid); err != nil {
		return ""
	}
	return pid
}

// release drops the lock. The LOCK file stays: removing it would race with
// a process that has just opened it.
func (l *dirLock) release() error {
	if l == nil || l.f == nil {
		return nil
	}
	_ = l.f.Truncate(0)
	err := unlockFile(l.f)
	if cerr := l.f.Close(); err == nil {
		err = cerr
	}
	l.f = nil
	return err
}
