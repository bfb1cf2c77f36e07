package federation

import (
	"fmt"
	"testing"
)

// BenchmarkParse1000 parses 1,000 federations of an origin and 3
// mirrors each, as `sync --all` does before its first request: most of
// the work is checking and parsing their 4,000 URLs.
//
//	go test ./internal/federation -run '^$' -bench Parse1000 -benchmem
func BenchmarkParse1000(b *testing.B) {
	var entries []Entry
	for i := range 1000 {
		key := fmt.Sprintf("federation.f%05d.", i)
		entries = append(entries, Entry{Key: key + "origin", Value: fmt.Sprintf("http://127.0.0.1:40001/r%05d.git", i)})
		for j, host := range []string{"127.0.0.1:40002", "gitlab.example.com", "Gitee.com:443"} {
			scheme := "https"
			if j == 0 {
				scheme = "http"
			}
			entries = append(entries, Entry{Key: key + "mirror", Value: fmt.Sprintf("%s://%s/org/r%05d.git", scheme, host, i)})
		}
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Parse(entries); err != nil {
			b.Fatal(err)
		}
	}
}
