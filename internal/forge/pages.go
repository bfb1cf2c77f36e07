package forge

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/sync/errgroup"
	"golang.org/x/sync/semaphore"

	"github.com/git-remote-federate/git-remote-federate/internal/gitexec"
	"github.com/git-remote-federate/git-remote-federate/internal/i18n"
)

// DefaultPageJobs is how many pages of one listing are fetched at once
// when Client.Jobs is 0: a 100-page organisation is listed in about a
// quarter of the time, and a forge sees no more than a browser's few
// connections.
const DefaultPageJobs = 4

// pager is one listing in progress: the request of its pages (its query
// without the page number), and the forge's request budget as its
// answers tell it.
type pager struct {
	c    Client
	r    request
	per  int
	jobs int

	mu     sync.Mutex
	budget budget
	known  bool // budget is what an answer said
	noted  bool // the low budget was reported
}

// list GETs every page of a repository listing. When the first page
// says how many there are (see totalPages), the others are fetched Jobs
// at a time; else one after another while a page says a next one
// exists. Either way each page starts only within the forge's request
// budget (see admit). The repositories keep the forge's order. A page
// that fails, after retries of a busy forge, fails the whole listing:
// nothing of it is returned.
func (c Client) list(ctx context.Context, r request) ([]Repo, error) {
	p, err := c.newPager(r)
	if err != nil {
		return nil, err
	}
	defer p.r.hc.CloseIdleConnections()
	first, h, err := p.get(ctx, 1, "")
	if err != nil {
		return nil, err
	}
	var pages [][]apiRepo
	switch total := totalPages(h, r.base, p.per, len(first)); {
	case total > p.maxPages():
		return nil, p.tooMany()
	case total > 1:
		pages, err = p.concurrent(ctx, 2, total)
	case total == 0:
		pages, err = p.sequential(ctx, first, h)
	}
	if err != nil {
		return nil, err
	}
	out := make([]Repo, 0, len(first)*(1+len(pages)))
	for _, page := range append([][]apiRepo{first}, pages...) {
		for _, it := range page {
			out = append(out, it.repo())
		}
	}
	return out, nil
}

func (c Client) newPager(r request) (*pager, error) {
	per := c.perPage(r.forge)
	q := url.Values{}
	for k, v := range r.query {
		q[k] = v
	}
	q.Set("per_page", strconv.Itoa(per))
	if r.forge == Gitea {
		q.Set("limit", strconv.Itoa(per)) // Gitea's name for it
	}
	r.query = q
	hc, err := c.client(r.base)
	if err != nil {
		return nil, err
	}
	r.hc = hc // the pages share one client and its connections
	jobs := c.Jobs
	if jobs <= 0 {
		jobs = DefaultPageJobs
	}
	return &pager{c: c, r: r, per: per, jobs: jobs, budget: budget{remaining: -1, limit: -1}}, nil
}

func (p *pager) maxPages() int {
	if p.c.MaxPages <= 0 {
		return 100
	}
	return p.c.MaxPages
}

func (p *pager) tooMany() error {
	return i18n.Errorf("%s%s: %w (%d pages of %d)", p.r.base, p.r.path, ErrTooManyPages, p.maxPages(), p.per)
}

// concurrent GETs pages from to to, at most jobs at a time, one at a
// time while the budget is low; the first error cancels the others.
func (p *pager) concurrent(ctx context.Context, from, to int) ([][]apiRepo, error) {
	out := make([][]apiRepo, to-from+1)
	sem := semaphore.NewWeighted(int64(p.jobs))
	g, gctx := errgroup.WithContext(ctx)
	var stop error
	for n := from; n <= to; n++ {
		w := int64(1)
		if p.low(to - n + 1) {
			w = int64(p.jobs) // alone: the next answer's budget is exact
		}
		if stop = sem.Acquire(gctx, w); stop != nil {
			break
		}
		if stop = p.admit(gctx, to-n+1); stop != nil {
			sem.Release(w)
			break
		}
		g.Go(func() error {
			defer sem.Release(w)
			items, _, err := p.get(gctx, n, "")
			out[n-from] = items
			return err
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err // the page's own error, not the cancellation it caused
	}
	if stop != nil {
		return nil, stop
	}
	return out, nil
}

// sequential GETs the pages after first, whose answer's headers are h,
// one after another: through the Link header's next page, else while a
// page comes back full, until GitLab's X-Next-Page is empty.
func (p *pager) sequential(ctx context.Context, first []apiRepo, h http.Header) ([][]apiRepo, error) {
	var pages [][]apiRepo
	items := first
	for n := 2; ; n++ {
		next, last := nextLink(h.Get("Link"), p.r.base)
		if last || next == "" && (len(items) < p.per || noNextPage(h)) {
			return pages, nil
		}
		if n > p.maxPages() {
			return nil, p.tooMany()
		}
		p.low(1)
		if err := p.admit(ctx, 1); err != nil {
			return nil, err
		}
		var err error
		if items, h, err = p.get(ctx, n, next); err != nil {
			return nil, err
		}
		pages = append(pages, items)
	}
}

// get GETs page n (or next, a Link header's URL), retrying a busy forge
// as gitexec.Retry does, at least as long as the forge asks.
func (p *pager) get(ctx context.Context, n int, next string) ([]apiRepo, http.Header, error) {
	r := p.r
	if next != "" {
		r.next = next
	} else {
		q := url.Values{}
		for k, v := range r.query {
			q[k] = v
		}
		q.Set("page", strconv.Itoa(n))
		r.query = q
	}
	var items []apiRepo
	var h http.Header
	err := gitexec.Retry(ctx, p.c.Delays, func(ctx context.Context) error {
		items = nil
		var err error
		h, err = p.c.call(ctx, r, &items)
		p.note(n, h)
		return err
	})
	return items, h, err
}

// note takes the budget an answer to page n tells, and logs it.
func (p *pager) note(n int, h http.Header) {
	b, ok := readBudget(h, time.Now())
	if ok {
		p.mu.Lock()
		// Answers arrive out of order: within one window the budget only
		// shrinks, and a later reset is a new window.
		if !p.known || b.reset.After(p.budget.reset) || b.remaining < p.budget.remaining {
			p.budget, p.known = b, true
		}
		p.mu.Unlock()
	}
	if p.c.Log == nil {
		return
	}
	attrs := []any{"api", p.r.base, "path", p.r.path, "page", n}
	if ok {
		attrs = append(attrs, "ratelimit_remaining", b.remaining, "ratelimit_limit", b.limit)
		if !b.reset.IsZero() {
			attrs = append(attrs, "ratelimit_reset", b.reset.UTC().Format(time.RFC3339))
		}
	}
	p.c.Log.Debug("forge listing page", attrs...)
}

// low reports whether the budget is nearly spent: fewer requests left
// than the pages still to start (left) and those that may be under way,
// or under a tenth of the window's. Pages then go one at a time, which
// is said once per listing through Warnf.
func (p *pager) low(left int) bool {
	p.mu.Lock()
	b, known := p.budget, p.known
	report := known && !p.noted
	low := known && (b.remaining < left+p.jobs || b.limit > 0 && b.remaining*10 < b.limit)
	if low && report {
		p.noted = true
	}
	p.mu.Unlock()
	if low && report {
		p.reportLow(b, left)
	}
	return low
}

func (p *pager) reportLow(b budget, left int) {
	if p.c.Log != nil {
		p.c.Log.Debug("forge request budget low", "api", p.r.base, "ratelimit_remaining", b.remaining,
			"ratelimit_limit", b.limit, "pages_left", left)
	}
	if p.c.Warnf == nil {
		return
	}
	if b.reset.IsZero() {
		p.c.Warnf("%s", i18n.M("%s: %d API requests left; listing the remaining pages one at a time", p.r.base, b.remaining))
		return
	}
	p.c.Warnf("%s", i18n.M("%s: %d API requests left until %s; listing the remaining pages one at a time",
		p.r.base, b.remaining, clock(b.reset)))
}

// admit lets the next page start, left pages being still to start. With
// the budget spent it first waits for the window's reset, when that
// comes within gitexec.MaxRetryAfter; when the budget cannot list the
// pages left before a reset further away, it fails the listing at once:
// a listing that cannot complete is not worth the requests it would
// spend.
func (p *pager) admit(ctx context.Context, left int) error {
	p.mu.Lock()
	b, known := p.budget, p.known
	p.mu.Unlock()
	if !known || b.remaining >= left || b.reset.IsZero() {
		return nil // a forge that did not say when it resets says so itself, busy
	}
	wait := time.Until(b.reset)
	if wait > gitexec.MaxRetryAfter {
		return i18n.Errorf("%s%s: %w: %d requests left until %s, %d pages still to list",
			p.r.base, p.r.path, ErrRateLimited, b.remaining, clock(b.reset), left)
	}
	if b.remaining > 0 {
		return nil
	}
	if p.c.Log != nil {
		p.c.Log.Info("forge request budget spent: waiting for its reset", "api", p.r.base,
			"ratelimit_reset", b.reset.UTC().Format(time.RFC3339))
	}
	t := time.NewTimer(max(wait, 0) + time.Second) // the forge's clock may be behind ours
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
	}
	p.mu.Lock()
	p.known = false // the spent budget is of the past window
	p.mu.Unlock()
	return nil
}

// totalPages is how many pages a listing has, from its first page's
// answer (got items of per asked): Link rel="last" (GitHub, Gitea, GitLab
// under 10,000 items), X-Total-Pages (GitLab), total_page (Gitee), else
// an item count (Gitea X-Total-Count, GitLab X-Total, Gitee total_count)
// over the page size the forge gave. 0 means unknown.
func totalPages(h http.Header, base string, per, got int) int {
	if n, ok := lastPage(h.Get("Link"), base); ok {
		return n
	}
	for _, k := range []string{"X-Total-Pages", "total_page"} {
		if n, ok := headerInt(h, k); ok && n >= 0 {
			return max(n, 1)
		}
	}
	for _, k := range []string{"X-Total-Count", "X-Total", "total_count"} {
		n, ok := headerInt(h, k)
		if !ok || n < 0 {
			continue
		}
		size := per
		if got < per && got < n {
			size = got // the forge holds pages smaller than asked for
		}
		if size <= 0 {
			return 0
		}
		return max((n+size-1)/size, 1)
	}
	return 0
}

// lastPage reads a Link header's rel="last" page number; a header
// without next or last says this is the only page. Links to another
// scheme or host count as absent (see nextLink).
func lastPage(link, base string) (n int, ok bool) {
	next, last := nextLink(link, base)
	if next == "" && !last {
		return 0, false // no header, or a foreign one
	}
	for _, part := range strings.Split(link, ",") {
		target, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		if !strings.Contains(strings.ReplaceAll(params, " ", ""), `rel="last"`) {
			continue
		}
		u, err := url.Parse(strings.Trim(strings.TrimSpace(target), "<>"))
		if err != nil {
			return 0, false
		}
		n, err := strconv.Atoi(u.Query().Get("page"))
		return n, err == nil && n >= 1
	}
	return 1, last
}

// nextLink reads a Link header: the rel="next" URL, or last when the
// header is there without one. A header that points at another scheme or
// host counts as absent: the token goes with the request, and a forge
// behind a proxy may name its public URL there instead.
func nextLink(link, base string) (next string, last bool) {
	if link == "" {
		return "", false
	}
	b, err := url.Parse(base)
	if err != nil {
		return "", false
	}
	for _, part := range strings.Split(link, ",") {
		target, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		u, err := url.Parse(strings.Trim(strings.TrimSpace(target), "<>"))
		if err != nil || !strings.EqualFold(u.Scheme, b.Scheme) || !strings.EqualFold(u.Host, b.Host) {
			return "", false
		}
		if strings.Contains(strings.ReplaceAll(params, " ", ""), `rel="next"`) {
			next = u.String()
		}
	}
	return next, next == ""
}

// noNextPage reports GitLab's word that there is no next page: an empty
// X-Next-Page.
func noNextPage(h http.Header) bool {
	v, ok := h["X-Next-Page"]
	return ok && (len(v) == 0 || strings.TrimSpace(v[0]) == "")
}
