package connect

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"time"

	"software.sslmate.com/src/go-pkcs12"
)

// TLSConfig builds the client TLS config: the CA pool (system roots unless
// a CA or truststore is given), the client certificate, and verification as
// asked. now is for the expiry check of the client certificate.
func (t TLS) TLSConfig(now time.Time) (*tls.Config, error) {
	cfg := &tls.Config{MinVersion: tls.VersionTLS12}
	pool, err := t.rootCAs()
	if err != nil {
		return nil, err
	}
	cfg.RootCAs = pool
	cert, err := t.clientCert()
	if err != nil {
		return nil, err
	}
	if cert != nil {
		if leaf := cert.Leaf; leaf != nil && now.After(leaf.NotAfter) {
			return nil, fmt.Errorf("client certificate %s (subject %q) expired on %s: renew it",
				t.certName(), leaf.Subject.String(), leaf.NotAfter.UTC().Format(time.DateOnly))
		}
		cfg.Certificates = []tls.Certificate{*cert}
	}
	switch {
	case t.SkipVerify:
		cfg.InsecureSkipVerify = true
	case t.NoHostnameCheck:
		// Verify the chain against the pool, not the name.
		cfg.InsecureSkipVerify = true
		cfg.VerifyConnection = func(cs tls.ConnectionState) error {
			if len(cs.PeerCertificates) == 0 {
				return errors.New("broker sent no certificate")
			}
			inter := x509.NewCertPool()
			for _, c := range cs.PeerCertificates[1:] {
				inter.AddCert(c)
			}
			_, err := cs.PeerCertificates[0].Verify(x509.VerifyOptions{Roots: pool, Intermediates: inter})
			return err
		}
	}
	return cfg, nil
}

func (t TLS) certName() string {
	switch {
	case t.CertFile != "":
		return t.CertFile
	case t.Keystore != "":
		return t.Keystore
	}
	return "(ssl.certificate.pem)"
}

// rootCAs is nil (system roots) unless a CA is configured.
func (t TLS) rootCAs() (*x509.CertPool, error) {
	var pemData []byte
	switch {
	case t.CAFile != "":
		b, err := os.ReadFile(t.CAFile)
		if err != nil {
			return nil, fmt.Errorf("ssl.ca.location: %w", err)
		}
		pemData = b
	case t.CAPEM != "":
		pemData = []byte(t.CAPEM)
	case t.Truststore != "":
		b, err := os.ReadFile(t.Truststore)
		if err != nil {
			return nil, fmt.Errorf("ssl.truststore.location: %w", err)
		}
		certs, err := pkcs12.DecodeTrustStore(b, t.TruststorePassword.Value())
		if err != nil {
			return nil, fmt.Errorf("ssl.truststore.location %s: %v (is ssl.truststore.password right? a JKS truststore must be converted to PKCS12)", t.Truststore, err)
		}
		pool := x509.NewCertPool()
		for _, c := range certs {
			pool.AddCert(c)
		}
		return pool, nil
	default:
		return nil, nil
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pemData) {
		name := "ssl.ca.pem"
		if t.CAFile != "" {
			name = "ssl.ca.location " + t.CAFile
		}
		return nil, fmt.Errorf("%s: no PEM certificate found", name)
	}
	return pool, nil
}

// clientCert loads the client certificate and key, if any.
func (t TLS) clientCert() (*tls.Certificate, error) {
	if t.Keystore != "" {
		b, err := os.ReadFile(t.Keystore)
		if err != nil {
			return nil, fmt.Errorf("ssl.keystore.location: %w", err)
		}
		key, leaf, chain, err := pkcs12.DecodeChain(b, t.KeystorePassword.Value())
		if err != nil {
			return nil, fmt.Errorf("ssl.keystore.location %s: %v (is ssl.keystore.password right?)", t.Keystore, err)
		}
		c := &tls.Certificate{PrivateKey: key, Leaf: leaf, Certificate: [][]byte{leaf.Raw}}
		for _, ch := range chain {
			c.Certificate = append(c.Certificate, ch.Raw)
		}
		return c, nil
	}
	var certPEM, keyPEM []byte
	switch {
	case t.CertFile != "":
		b, err := os.ReadFile(t.CertFile)
		if err != nil {
			return nil, fmt.Errorf("ssl.certificate.location: %w", err)
		}
		certPEM = b
	case t.CertPEM != "":
		certPEM = []byte(t.CertPEM)
	}
	switch {
	case t.KeyFile != "":
		b, err := os.ReadFile(t.KeyFile)
		if err != nil {
			return nil, fmt.Errorf("ssl.key.location: %w", err)
		}
		keyPEM = b
	case t.KeyPEM.IsSet():
		keyPEM = []byte(t.KeyPEM.Value())
	}
	if certPEM == nil && keyPEM == nil {
		return nil, nil
	}
	if certPEM == nil {
		return nil, errors.New("ssl.key.location is set without ssl.certificate.location")
	}
	if keyPEM == nil {
		return nil, errors.New("ssl.certificate.location is set without ssl.key.location")
	}
	keyPEM, err := decryptKey(keyPEM, t.KeyPassword)
	if err != nil {
		return nil, err
	}
	c, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		return nil, fmt.Errorf("client certificate %s and key: %v", t.certName(), err)
	}
	return &c, nil
}

// decryptKey decrypts a legacy encrypted PEM key ("Proc-Type: 4,ENCRYPTED")
// with ssl.key.password. PKCS#8 encrypted keys are not supported by the
// standard library; the error says how to convert.
func decryptKey(keyPEM []byte, pw Secret) ([]byte, error) {
	block, _ := pem.Decode(keyPEM)
	if block == nil {
		return nil, errors.New("ssl.key.location: no PEM key found")
	}
	if block.Type == "ENCRYPTED PRIVATE KEY" {
		return nil, errors.New("ssl.key.location: encrypted PKCS#8 keys are not supported; decrypt it (openssl pkcs8 -in key.pem -out key-plain.pem) and keep the file private")
	}
	//nolint:staticcheck // legacy PEM encryption is what librdkafka users have.
	if !x509.IsEncryptedPEMBlock(block) {
		return keyPEM, nil
	}
	if !pw.IsSet() {
		return nil, errors.New("ssl.key.location: the key is encrypted: set ssl.key.password")
	}
	//nolint:staticcheck // see above
	der, err := x509.DecryptPEMBlock(block, []byte(pw.Value()))
	if err != nil {
		return nil, errors.New("ssl.key.location: cannot decrypt the key: is ssl.key.password right?")
	}
	return pem.EncodeToMemory(&pem.Block{Type: block.Type, Bytes: der}), nil
}
