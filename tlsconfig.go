package phttp

import (
	"crypto/tls"
	"slices"
)

// ListenAndRunTLS listens on the TCP address addr and serves TLS with the
// certificate and key in certFile and keyFile (PEM; the certificate file
// may hold the chain after the leaf), added to TLSConfig's certificates
// when TLSConfig is set; then it runs the loop on the calling goroutine
// until Stop or Shutdown. Both files may be "" when TLSConfig already
// has certificates (or GetCertificate). Like Run, from one goroutine.
func (s *Server) ListenAndRunTLS(addr, certFile, keyFile string) error {
	cfg := &tls.Config{}
	if s.TLSConfig != nil {
		cfg = s.TLSConfig.Clone()
	}
	if certFile != "" || keyFile != "" {
		cert, err := tls.LoadX509KeyPair(certFile, keyFile)
		if err != nil {
			return err
		}
		cfg.Certificates = append(cfg.Certificates, cert)
	}
	s.tlsFiles = cfg
	if err := s.Listen("tcp", addr); err != nil {
		return err
	}
	return s.Run()
}

// tlsConfig is the configuration the loop's TLS sessions use: a clone of
// TLSConfig (or of what ListenAndRunTLS made), with "h2" (when HTTP/2 is
// on), "http/1.1" and "http/1.0" added to ALPN's protocols, after any the
// user listed. Nil: plain TCP.
func (s *Server) tlsConfig() *tls.Config {
	cfg := s.tlsFiles
	if cfg == nil {
		if s.TLSConfig == nil {
			return nil
		}
		cfg = s.TLSConfig.Clone()
	}
	// In the order of preference (RFC 7301 registers "http/1.0").
	protos := slices.Clone(cfg.NextProtos)
	offer := []string{"http/1.1", "http/1.0"}
	switch p := s.protocols(); {
	case p&HTTP2 != 0 && p&HTTP1 == 0:
		offer = []string{"h2"}
	case p&HTTP2 != 0:
		offer = []string{"h2", "http/1.1", "http/1.0"}
	case p&HTTP1 == 0:
		offer = nil
	}
	for _, p := range offer {
		if !slices.Contains(protos, p) {
			protos = append(protos, p)
		}
	}
	cfg.NextProtos = protos
	return cfg
}
