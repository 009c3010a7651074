package backend

import (
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestOneClientFactory keeps NewClient the only place the product builds a
// franz-go client: a client built elsewhere would miss TLS, SASL and the
// operator's connection properties. Tests, the shared test kit
// (internal/testkit) and benchmark set-up tools may build their own.
func TestOneClientFactory(t *testing.T) {
	root := ".."
	var offenders []string
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if name := d.Name(); name == "bench" || name == "testdata" || name == "testkit" || (strings.HasPrefix(name, ".") && path != root) {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		if strings.Contains(string(b), "kgo.NewClient(") && filepath.ToSlash(path) != "../backend/client.go" {
			offenders = append(offenders, path)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(offenders) > 0 {
		t.Fatalf("kgo.NewClient outside backend/client.go (use backend.NewClient or Cluster.NewClient): %v", offenders)
	}
}
