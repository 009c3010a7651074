//go:build !(darwin || dragonfly || freebsd || linux || netbsd || openbsd || windows)

package backend

import "os"

// No advisory lock on this platform: the data dir is not protected against
// a second process. Documented rather than faked with a pid file, which
// would go stale after a crash.
func lockFile(*os.File) error   { return nil }
func unlockFile(*os.File) error { return nil }
