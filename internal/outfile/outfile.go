// Package outfile writes a command's output file safely.
//
// A regular file (or a name that does not exist yet) is written under a
// temporary name beside it and renamed into place by Commit, so it is
// either complete or absent. Anything else is written directly and never
// replaced: "-" is stdout; a device, a pipe, a FIFO or a socket (also
// through a symlink, as /dev/stdout is) is opened and written; renaming a
// temporary file over /dev/stdout as root would leave a regular file there
// and break the machine's stdout for every later program. A symlink to a
// regular file is followed: its target is replaced, the link stays.
package outfile

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
)

// File is an output being written.
type File struct {
	w      io.Writer
	f      *os.File // nil for stdout
	tmp    string   // "" when written directly
	target string   // the file replaced by Commit
	path   string   // as given
	done   bool
}

// Create starts the output named path; stdout is where "-" goes. With
// overwrite false, an existing regular file is refused.
func Create(path string, stdout io.Writer, overwrite bool) (*File, error) {
	switch path {
	case "":
		return nil, errors.New("no output file name")
	case "-":
		return &File{w: stdout, path: path}, nil
	}
	target := path
	st, err := os.Stat(path) // follows symlinks: what would be written
	switch {
	case err == nil && !st.Mode().IsRegular():
		if st.IsDir() {
			return nil, fmt.Errorf("%s is a directory", path)
		}
		f, err := os.OpenFile(path, os.O_WRONLY, 0)
		if err != nil {
			return nil, fmt.Errorf("open %s: %w", path, err)
		}
		return &File{w: f, f: f, path: path}, nil
	case err == nil:
		if !overwrite {
			return nil, fmt.Errorf("%s exists: choose another name", path)
		}
		if t, err := filepath.EvalSymlinks(path); err == nil {
			target = t
		}
	case errors.Is(err, fs.ErrNotExist):
		if _, lerr := os.Lstat(path); lerr == nil {
			// A dangling symlink: do not guess where it points.
			return nil, fmt.Errorf("%s is a symlink to a missing file", path)
		}
	default:
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	f, err := os.CreateTemp(filepath.Dir(target), "."+filepath.Base(target)+".partial-*")
	if err != nil {
		return nil, fmt.Errorf("write %s: %w", path, err)
	}
	// CreateTemp makes 0600: a new file gets the usual 0644, a replaced
	// one keeps its mode.
	mode := fs.FileMode(0o644)
	if st != nil {
		mode = st.Mode().Perm()
	}
	_ = f.Chmod(mode)
	return &File{w: f, f: f, tmp: f.Name(), target: target, path: path}, nil
}

// Write writes to the output.
func (f *File) Write(p []byte) (int, error) { return f.w.Write(p) }

// WriteString writes s to the output.
func (f *File) WriteString(s string) (int, error) { return io.WriteString(f.w, s) }

// Path is the name given to Create.
func (f *File) Path() string { return f.path }

// Direct reports whether the output is written in place (stdout, a
// device, a pipe): nothing is renamed, and what was written stays written.
func (f *File) Direct() bool { return f.tmp == "" }

// Commit finishes the output: a temporary file is synced and renamed into
// place; a direct output is closed (stdout is left open).
func (f *File) Commit() error {
	if f.done {
		return nil
	}
	f.done = true
	if f.f == nil {
		return nil
	}
	if f.tmp == "" {
		if err := f.f.Close(); err != nil {
			return fmt.Errorf("write %s: %w", f.path, err)
		}
		return nil
	}
	err := f.f.Sync()
	if cerr := f.f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(f.tmp, f.target)
	}
	if err != nil {
		_ = os.Remove(f.tmp)
		return fmt.Errorf("write %s: %w", f.path, err)
	}
	return nil
}

// Abort drops a temporary file (after Commit it does nothing).
func (f *File) Abort() {
	if f.done {
		return
	}
	f.done = true
	if f.f != nil {
		_ = f.f.Close()
	}
	if f.tmp != "" {
		_ = os.Remove(f.tmp)
	}
}

// WriteFile writes data to path as Create + Commit would.
func WriteFile(path string, stdout io.Writer, data []byte) error {
	f, err := Create(path, stdout, true)
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Abort()
		return fmt.Errorf("write %s: %w", path, err)
	}
	return f.Commit()
}
