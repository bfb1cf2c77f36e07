package forge

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync/atomic"
	"testing"
	"time"
)

// BenchmarkListRepos20Pages lists an organisation of 20 full pages from a
// GitHub-like API on 127.0.0.1 that takes 50 ms to answer each request,
// as a distant forge does: the wall time of a set's listing.
func BenchmarkListRepos20Pages(b *testing.B) {
	const pages, per, delay = 20, 100, 50 * time.Millisecond
	var requests atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		requests.Add(1)
		time.Sleep(delay)
		n, _ := strconv.Atoi(r.URL.Query().Get("page"))
		n = max(n, 1)
		link := fmt.Sprintf(`<http://%s%s?per_page=%d&page=%d>; rel="last"`, r.Host, r.URL.Path, per, pages)
		if n < pages {
			link = fmt.Sprintf(`<http://%s%s?per_page=%d&page=%d>; rel="next", `, r.Host, r.URL.Path, per, n+1) + link
		}
		w.Header().Set("Link", link)
		w.Header().Set("X-RateLimit-Limit", "5000")
		w.Header().Set("X-RateLimit-Remaining", "4000")
		w.Header().Set("X-RateLimit-Reset", strconv.FormatInt(time.Now().Add(time.Hour).Unix(), 10))
		json.NewEncoder(w).Encode(repos("big", (n-1)*per, per))
	}))
	defer srv.Close()
	c := Client{HTTP: &http.Client{}}
	b.ResetTimer()
	for b.Loop() {
		got, err := c.ListRepos(context.Background(), GitHub, srv.URL+"/api", "big", "tok")
		if err != nil || len(got) != pages*per {
			b.Fatalf("%d repos, %v", len(got), err)
		}
	}
	b.ReportMetric(float64(requests.Load())/float64(b.N), "requests/op")
}
