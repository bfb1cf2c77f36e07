package httpx

import (
	"os"
	"testing"
)

// BenchmarkNewWithCAFile builds a client whose git settings name a CA
// bundle (GIT_SSL_CAINFO, as many CI machines set it), as sync does
// before its first plain-http listing.
//
//	go test ./internal/httpx -run '^$' -bench NewWithCAFile -benchmem
func BenchmarkNewWithCAFile(b *testing.B) {
	const bundle = "/etc/ssl/certs/ca-certificates.crt"
	if _, err := os.Stat(bundle); err != nil {
		b.Skip("no CA bundle at " + bundle)
	}
	s := Resolve(nil, func(k string) string {
		if k == "GIT_SSL_CAINFO" {
			return bundle
		}
		return ""
	}, "http://127.0.0.1:1/x.git")
	b.ReportAllocs()
	for b.Loop() {
		c, err := New(Config{Settings: s})
		if err != nil {
			b.Fatal(err)
		}
		c.CloseIdleConnections()
	}
}
