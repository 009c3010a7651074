package backend

import (
	"net"
	"os"
	"path/filepath"

	"github.com/rewind-log/rewind/backend/registry"
)

// The embedded schema registry runs beside the embedded log, its journal in
// DATA_DIR/registry (covered by the data dir lock). Its URL is also written
// to DATA_DIR/registry/url while it runs, so CLI commands that attach to a
// running `rewind serve` find it even on a port picked at random.

// registryURLFile names the file holding the running registry's URL.
const registryURLFile = "url"

func (e *Embedded) startRegistry() error {
	listen := e.cfg.RegistryListen
	if listen == "" {
		listen = registry.DefaultListen
		if _, port, err := net.SplitHostPort(e.cfg.Listen); err == nil && port == "0" {
			listen = "127.0.0.1:0" // tests and throwaway logs must not fight over 18081
		}
	}
	dir := filepath.Join(e.dir, "registry")
	reg, err := registry.Start(registry.Config{Dir: dir, Listen: listen, ReadOnly: e.cfg.ReadOnly})
	if err != nil {
		return err
	}
	e.reg = reg
	_ = writeFileAtomic(filepath.Join(dir, registryURLFile), []byte(reg.URL()+"\n"))
	e.logf("schema registry on %s", reg.URL())
	return nil
}

func (e *Embedded) closeRegistry() {
	if e.reg == nil {
		return
	}
	_ = os.Remove(filepath.Join(e.dir, "registry", registryURLFile))
	if err := e.reg.Close(); err != nil {
		e.logf("closing schema registry: %v", err)
	}
}

// RegistryURL is the embedded schema registry's http://HOST:PORT.
func (e *Embedded) RegistryURL() string {
	if e.reg == nil {
		return ""
	}
	return e.reg.URL()
}

// RunningRegistryURL reads the URL a running embedded log (perhaps in
// another process) wrote into dataDir; "" if none is running there.
func RunningRegistryURL(dataDir string) string {
	b, err := os.ReadFile(filepath.Join(dataDir, "registry", registryURLFile))
	if err != nil {
		return ""
	}
	s := string(b)
	for len(s) > 0 && (s[len(s)-1] == '\n' || s[len(s)-1] == '\r') {
		s = s[:len(s)-1]
	}
	return s
}
