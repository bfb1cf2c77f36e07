package forge

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// pagedForge is a forge API on 127.0.0.1 that serves one owner's
// repositories (repos r00, r01 …) in pages, with the pagination headers
// of one forge, and watches how many pages are asked for at once.
type pagedForge struct {
	*httptest.Server
	style      string // GitHub, GitLab, Gitea, Gitee, "count" (X-Total-Count alone), or "" (no pagination headers)
	items, per int
	// hold runs before page n is answered, while it counts as in flight.
	hold func(n int)
	// answer, when set, may answer attempt (from 1) at page n itself:
	// it returns false to let the page be served.
	answer func(w http.ResponseWriter, n, attempt int) bool
	// budget, when set, adds rate-limit headers to the answer to the
	// request'th request (from 1).
	budget func(h http.Header, request int)

	mu                    sync.Mutex
	inflight, maxInflight int
	asked                 []int // pages in the order they were asked for
}

func newPagedForge(t *testing.T, style string, items, per int) *pagedForge {
	f := &pagedForge{style: style, items: items, per: per}
	f.Server = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.Close)
	return f
}

func (f *pagedForge) pages() int { return max((f.items+f.per-1)/f.per, 1) }

func (f *pagedForge) serve(w http.ResponseWriter, r *http.Request) {
	n, _ := strconv.Atoi(r.URL.Query().Get("page"))
	n = max(n, 1)
	f.mu.Lock()
	f.asked = append(f.asked, n)
	request, attempt := len(f.asked), 0
	for _, p := range f.asked {
		if p == n {
			attempt++
		}
	}
	f.inflight++
	f.maxInflight = max(f.maxInflight, f.inflight)
	f.mu.Unlock()
	if f.hold != nil {
		f.hold(n)
	}
	// Out of flight before the answer is written: the client cannot
	// see it, and start another page, before this.
	f.mu.Lock()
	f.inflight--
	f.mu.Unlock()
	if f.budget != nil {
		f.budget(w.Header(), request)
	}
	if f.answer != nil && f.answer(w, n, attempt) {
		return
	}
	f.paginate(w.Header(), r, n)
	from := (n - 1) * f.per
	json.NewEncoder(w).Encode(repos("big", from, max(min(f.per, f.items-from), 0)))
}

// paginate sets the headers f.style's forge sends with page n.
func (f *pagedForge) paginate(h http.Header, r *http.Request, n int) {
	last := f.pages()
	link := func() string {
		u := "http://" + r.Host + r.URL.Path
		l := fmt.Sprintf(`<%s?page=%d&per_page=%d>; rel="last"`, u, last, f.per)
		if n < last {
			l = fmt.Sprintf(`<%s?page=%d&per_page=%d>; rel="next", `, u, n+1, f.per) + l
		}
		return l
	}
	switch f.style {
	case GitHub:
		if last > 1 {
			h.Set("Link", link())
		}
	case GitLab:
		h.Set("X-Total-Pages", strconv.Itoa(last))
		h.Set("X-Total", strconv.Itoa(f.items))
		h.Set("X-Next-Page", "")
		if n < last {
			h.Set("X-Next-Page", strconv.Itoa(n+1))
		}
	case Gitea:
		h.Set("X-Total-Count", strconv.Itoa(f.items))
		if last > 1 {
			h.Set("Link", link())
		}
	case "count":
		h.Set("X-Total-Count", strconv.Itoa(f.items))
	case Gitee:
		h["total_count"] = []string{strconv.Itoa(f.items)}
		h["total_page"] = []string{strconv.Itoa(last)}
	}
}

// barrier holds the first k pages after the first until all k are in
// flight at once, then lets them answer in reverse order: the highest
// first. A client that never has k pages in flight is let go after a
// minute, to fail on maxInflight rather than hang.
func barrier(k int) func(n int) {
	ready := make(chan struct{})
	done := map[int]chan struct{}{}
	for n := 2; n <= k+1; n++ {
		done[n] = make(chan struct{})
	}
	var mu sync.Mutex
	arrived := 0
	return func(n int) {
		if done[n] == nil {
			return
		}
		defer close(done[n])
		mu.Lock()
		if arrived++; arrived == k {
			close(ready)
		}
		mu.Unlock()
		select {
		case <-ready:
		case <-time.After(time.Minute):
			return
		}
		if next := done[n+1]; next != nil {
			<-next
		}
	}
}

func (f *pagedForge) stats() (asked []int, maxInflight int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.asked), f.maxInflight
}

func wantRepos(t *testing.T, got []Repo, n int) {
	t.Helper()
	if len(got) != n {
		t.Fatalf("%d repositories, want %d", len(got), n)
	}
	for i, r := range got {
		if want := fmt.Sprintf("r%02d", i); r.Name != want {
			t.Fatalf("repository %d is %s, want %s: the forge's order was not kept", i, r.Name, want)
		}
	}
}

// A 9-page listing whose first page says how many there are: the others
// are asked for 4 at once, never more, each once, and the repositories
// come in the forge's order although the pages answered in reverse.
func TestListPagesConcurrentBoundedAndOrdered(t *testing.T) {
	f := newPagedForge(t, GitHub, 18, 2)
	f.hold = barrier(DefaultPageJobs)
	got, err := Client{PerPage: 2}.ListRepos(context.Background(), GitHub, f.URL+"/api", "big", "tok")
	if err != nil {
		t.Fatal(err)
	}
	wantRepos(t, got, 18)
	asked, most := f.stats()
	if most != DefaultPageJobs {
		t.Errorf("%d pages in flight at most, want %d", most, DefaultPageJobs)
	}
	slices.Sort(asked)
	if want := []int{1, 2, 3, 4, 5, 6, 7, 8, 9}; !slices.Equal(asked, want) {
		t.Errorf("pages asked %v, want each of %v once", asked, want)
	}
}

// Every forge's way of saying how many pages there are is read: the
// pages are asked for at once, none twice, none past the last. Without
// any (here, no header at all), pages go one after another until one
// comes back short.
func TestListPagesTotalOfEachForge(t *testing.T) {
	for _, style := range []string{GitHub, GitLab, Gitea, Gitee, ""} {
		t.Run("style="+style, func(t *testing.T) {
			f := newPagedForge(t, style, 9, 2)
			if style != "" {
				f.hold = barrier(2)
			}
			forge := style
			if forge == "" {
				forge = Gitee
			}
			got, err := Client{PerPage: 2}.ListRepos(context.Background(), forge, f.URL+"/api", "big", "tok")
			if err != nil {
				t.Fatal(err)
			}
			wantRepos(t, got, 9)
			asked, most := f.stats()
			if style == "" {
				if most != 1 || !slices.Equal(asked, []int{1, 2, 3, 4, 5}) {
					t.Fatalf("unknown total: pages %v, %d at most in flight; want 1 to 5 one after another", asked, most)
				}
				return
			}
			if most < 2 {
				t.Errorf("%d page in flight at most: the total was not read", most)
			}
			slices.Sort(asked)
			if !slices.Equal(asked, []int{1, 2, 3, 4, 5}) {
				t.Errorf("pages asked %v, want 1 to 5 once each", asked)
			}
		})
	}
}

// A forge whose pages hold fewer items than asked for (Gitea with a
// lower MAX_RESPONSE_ITEMS), and that says only how many items there are,
// is listed whole: the page count comes from the size it answered with.
func TestListPagesSmallerThanAsked(t *testing.T) {
	f := newPagedForge(t, "count", 7, 2) // 2 a page, whatever is asked
	got, err := Client{PerPage: 5}.ListRepos(context.Background(), Gitea, f.URL+"/api", "big", "tok")
	if err != nil {
		t.Fatal(err)
	}
	wantRepos(t, got, 7)
	if asked, _ := f.stats(); len(asked) != 4 {
		t.Fatalf("pages asked %v, want 4", asked)
	}
}

// A listing the forge says is longer than MaxPages is refused after its
// first page, not after reading MaxPages of it.
func TestListPagesTooManyStopsAtOnce(t *testing.T) {
	f := newPagedForge(t, GitLab, 10, 2)
	_, err := Client{PerPage: 2, MaxPages: 3}.ListRepos(context.Background(), GitLab, f.URL+"/api", "big", "tok")
	if asked, _ := f.stats(); !errors.Is(err, ErrTooManyPages) || len(asked) != 1 {
		t.Fatalf("%v after pages %v", err, asked)
	}
}

// A page that fails (after the retries of a busy forge) fails the whole
// listing: no repository of it is returned, so no caller takes a part of
// an organisation for the whole.
func TestListPagesFailingPageFailsListing(t *testing.T) {
	f := newPagedForge(t, GitHub, 18, 2)
	f.answer = func(w http.ResponseWriter, n, _ int) bool {
		if n != 6 {
			return false
		}
		w.WriteHeader(http.StatusInternalServerError)
		w.Write([]byte(`{"message":"boom"}`))
		return true
	}
	got, err := Client{PerPage: 2}.ListRepos(context.Background(), GitHub, f.URL+"/api", "big", "tok")
	var se *StatusError
	if got != nil || !errors.As(err, &se) || se.Status != 500 || !strings.Contains(err.Error(), "boom") {
		t.Fatalf("%d repositories, %v; want none and page 6's error", len(got), err)
	}
}

// ratelimited counts down a budget of left requests of limit, with a
// reset an hour away.
func ratelimited(limit, left int, reset time.Time) func(h http.Header, request int) {
	return func(h http.Header, request int) {
		h.Set("X-RateLimit-Limit", strconv.Itoa(limit))
		h.Set("X-RateLimit-Remaining", strconv.Itoa(max(left-request, 0)))
		h.Set("X-RateLimit-Reset", strconv.FormatInt(reset.Unix(), 10))
		h.Set("X-RateLimit-Used", strconv.Itoa(limit-max(left-request, 0)))
	}
}

// With the budget nearly spent, the pages go one at a time, and that is
// said once on the progress stream; every page's budget is in the debug
// log, without the token.
func TestListPagesLowBudgetLoggedAndRespected(t *testing.T) {
	f := newPagedForge(t, GitHub, 12, 2)
	f.budget = ratelimited(100, 9, time.Now().Add(time.Hour))
	// A page held a moment: a client that did not wait for it would ask
	// for the next one meanwhile.
	f.hold = func(n int) {
		if n > 1 {
			time.Sleep(50 * time.Millisecond)
		}
	}
	var log bytes.Buffer
	var notes []string
	c := Client{PerPage: 2, Log: slog.New(slog.NewTextHandler(&log, &slog.HandlerOptions{Level: slog.LevelDebug})),
		Warnf: func(format string, args ...any) { notes = append(notes, fmt.Sprintf(format, args...)) }}
	got, err := c.ListRepos(context.Background(), GitHub, f.URL+"/api", "big", "tok-budget-secret")
	if err != nil {
		t.Fatal(err)
	}
	wantRepos(t, got, 12)
	asked, most := f.stats()
	if most != 1 || len(asked) != 6 {
		t.Errorf("pages %v, %d at most in flight; want 6 pages one at a time", asked, most)
	}
	if len(notes) != 1 || !strings.Contains(notes[0], "8 API requests left until") || !strings.Contains(notes[0], "one at a time") {
		t.Errorf("progress notes %q, want one saying 8 requests are left", notes)
	}
	text := log.String()
	if n := strings.Count(text, "ratelimit_remaining="); n < 6 {
		t.Errorf("%d log lines with the budget, want one per page:\n%s", n, text)
	}
	if !strings.Contains(text, "ratelimit_remaining=3 ratelimit_limit=100") || strings.Contains(text, "tok-budget-secret") {
		t.Errorf("debug log:\n%s", text)
	}
}

// A budget that cannot list the pages left before a reset an hour away
// stops the listing after its first page: the rest would be refused.
func TestListPagesBudgetTooSmallStops(t *testing.T) {
	f := newPagedForge(t, GitHub, 12, 2)
	f.budget = ratelimited(60, 3, time.Now().Add(time.Hour))
	got, err := Client{PerPage: 2}.ListRepos(context.Background(), GitHub, f.URL+"/api", "big", "")
	asked, _ := f.stats()
	if got != nil || !errors.Is(err, ErrRateLimited) || !strings.Contains(err.Error(), "2 requests left until") || len(asked) != 1 {
		t.Fatalf("%d repositories, %v after pages %v; want the budget named after page 1 alone", len(got), err, asked)
	}
}

// A 429 with Retry-After, and a 403 whose budget comes back within the
// retry bound, are retried and the listing completes; a 403 whose
// budget comes back in an hour is not retried, and says it is the rate
// limit, not a token that may not read.
func TestListPagesRateLimitedAnswers(t *testing.T) {
	retried := func(status int, set func(h http.Header)) *pagedForge {
		f := newPagedForge(t, GitHub, 10, 2)
		f.answer = func(w http.ResponseWriter, n, attempt int) bool {
			if n != 3 || attempt > 1 {
				return false
			}
			set(w.Header())
			w.WriteHeader(status)
			w.Write([]byte(`{"message":"API rate limit exceeded"}`))
			return true
		}
		got, err := Client{PerPage: 2, Delays: []time.Duration{time.Millisecond}}.ListRepos(context.Background(), GitHub, f.URL+"/api", "big", "tok")
		if err != nil {
			t.Fatalf("%d: %v", status, err)
		}
		wantRepos(t, got, 10)
		return f
	}
	for _, c := range []struct {
		status int
		set    func(h http.Header)
	}{
		{http.StatusTooManyRequests, func(h http.Header) { h.Set("Retry-After", "1") }},
		{http.StatusForbidden, func(h http.Header) { h.Set("Retry-After", "1") }}, // GitHub's secondary limit
		{http.StatusForbidden, func(h http.Header) {
			h.Set("X-RateLimit-Remaining", "0")
			h.Set("X-RateLimit-Reset", strconv.FormatInt(time.Now().Unix(), 10))
		}},
	} {
		f := retried(c.status, c.set)
		if asked, _ := f.stats(); len(asked) != 6 {
			t.Errorf("%d: pages asked %v, want page 3 twice", c.status, asked)
		}
	}

	f := newPagedForge(t, GitHub, 10, 2)
	f.answer = func(w http.ResponseWriter, n, attempt int) bool {
		if n != 3 {
			return false
		}
		w.Header().Set("X-RateLimit-Remaining", "0")
		w.Header().Set("X-RateLimit-Reset", strconv.FormatInt(time.Now().Add(time.Hour).Unix(), 10))
		w.WriteHeader(http.StatusForbidden)
		w.Write([]byte(`{"message":"API rate limit exceeded"}`))
		return true
	}
	got, err := Client{PerPage: 2, Delays: []time.Duration{time.Millisecond}}.ListRepos(context.Background(), GitHub, f.URL+"/api", "big", "tok")
	asked, _ := f.stats()
	if got != nil || !errors.Is(err, ErrRateLimited) || errors.Is(err, ErrForbidden) || !strings.Contains(err.Error(), "come back at") {
		t.Fatalf("%d repositories, %v", len(got), err)
	}
	if n := strings.Count(fmt.Sprint(asked), "3"); n != 1 {
		t.Fatalf("pages asked %v: a budget back in an hour was retried", asked)
	}
}

// Each forge's rate-limit headers are read: GitHub's X-RateLimit-* with a
// Unix reset, GitLab's RateLimit-* (a Unix reset, or RateLimit-ResetTime),
// and the IETF draft's seconds from now.
func TestReadBudget(t *testing.T) {
	now := time.Date(2026, 12, 6, 8, 0, 0, 0, time.UTC)
	h := func(kv ...string) http.Header {
		out := http.Header{}
		for i := 0; i < len(kv); i += 2 {
			out.Set(kv[i], kv[i+1])
		}
		return out
	}
	for _, c := range []struct {
		h    http.Header
		want budget
		ok   bool
	}{
		{h("X-RateLimit-Limit", "5000", "X-RateLimit-Remaining", "4999", "X-RateLimit-Reset", strconv.FormatInt(now.Add(time.Hour).Unix(), 10)),
			budget{4999, 5000, now.Add(time.Hour)}, true},
		{h("RateLimit-Limit", "600", "RateLimit-Remaining", "12", "RateLimit-Reset", strconv.FormatInt(now.Add(time.Minute).Unix(), 10)),
			budget{12, 600, now.Add(time.Minute)}, true},
		{h("RateLimit-Remaining", "3", "RateLimit-ResetTime", now.Add(30*time.Second).Format(http.TimeFormat)),
			budget{3, -1, now.Add(30 * time.Second)}, true},
		{h("RateLimit-Remaining", "0", "RateLimit-Reset", "20"), budget{0, -1, now.Add(20 * time.Second)}, true},
		{h("X-Total-Count", "7"), budget{-1, -1, time.Time{}}, false},
	} {
		got, ok := readBudget(c.h, now)
		if ok != c.ok || got.remaining != c.want.remaining || got.limit != c.want.limit || !got.reset.Equal(c.want.reset) {
			t.Errorf("readBudget(%v) = %+v %v, want %+v %v", c.h, got, ok, c.want, c.ok)
		}
	}
}
