//go:build darwin || dragonfly || freebsd || linux || netbsd || openbsd

package backend

import (
	"errors"
	"os"
	"syscall"
)

// lockFile takes a non-blocking exclusive flock. flock locks belong to the
// open file description, so a second open of the same file in this process
// conflicts too, which is what a second Embedded on one dir needs.
func lockFile(f *os.File) error {
	for {
		err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		switch {
		case err == nil:
			return nil
		case errors.Is(err, syscall.EINTR):
			continue
		case errors.Is(err, syscall.EWOULDBLOCK):
			return errDirLocked
		default:
			return err
		}
	}
}

func unlockFile(f *os.File) error {
	return syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
}
