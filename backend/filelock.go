package backend

import (
	"errors"
	"fmt"
	"os"
)

// ErrLocked is returned by TryLockFile when another process (or another
// open of the same file in this process) holds the lock.
var ErrLocked = errDirLocked

// FileLock is an exclusive advisory lock on a file, held until Release or
// the process ends (the kernel drops it on exit, crash included). The lag
// history uses one to elect the single process that samples a cluster.
type FileLock struct{ f *os.File }

// TryLockFile takes the lock on path (created if missing) without waiting:
// ErrLocked when it is held elsewhere.
func TryLockFile(path string) (*FileLock, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("lock file %s: %w", path, err)
	}
	if err := lockFile(f); err != nil {
		f.Close()
		if errors.Is(err, errDirLocked) {
			return nil, ErrLocked
		}
		return nil, fmt.Errorf("lock file %s: %w", path, err)
	}
	return &FileLock{f: f}, nil
}

// Release drops the lock. Safe to call twice.
func (l *FileLock) Release() error {
	if l == nil || l.f == nil {
		return nil
	}
	err := unlockFile(l.f)
	if cerr := l.f.Close(); err == nil {
		err = cerr
	}
	l.f = nil
	return err
}
