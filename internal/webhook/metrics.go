package webhook

import (
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/git-remote-federate/git-remote-federate/internal/fedsync"
)

// Metrics holds the receiver's counters and writes them in the
// Prometheus text exposition format (version 0.0.4), by hand: a handful
// of series do not need a client library.
type Metrics struct {
	mu       sync.Mutex
	requests map[string]float64    // result -> count
	triggers map[string]float64    // result -> count
	syncs    map[[2]string]float64 // {federation, result} -> count
	durSum   map[string]float64    // federation -> seconds
	durCount map[string]float64    // federation -> count
	last     map[string]float64    // federation -> unix seconds of the last finished sync
	lastOK   map[string]float64    // federation -> unix seconds of the last successful sync
	running  int
	waiting  int
	started  time.Time
	runs     fedsync.Totals // summed over the runs reported to SyncRun
	nruns    int
}

// NewMetrics returns empty metrics; started is the process start time.
func NewMetrics(started time.Time) *Metrics {
	return &Metrics{
		requests: map[string]float64{},
		triggers: map[string]float64{},
		syncs:    map[[2]string]float64{},
		durSum:   map[string]float64{},
		durCount: map[string]float64{},
		last:     map[string]float64{},
		lastOK:   map[string]float64{},
		started:  started,
	}
}

// Request counts one webhook request by its result.
func (m *Metrics) Request(result string) {
	m.mu.Lock()
	m.requests[result]++
	m.mu.Unlock()
}

// Trigger counts one sync request for a federation by what the
// scheduler did with it: started, queued or coalesced.
func (m *Metrics) Trigger(result string) {
	m.mu.Lock()
	m.triggers[result]++
	m.mu.Unlock()
}

// Sync records one finished sync.
func (m *Metrics) Sync(name, result string, d time.Duration, end time.Time) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.syncs[[2]string{name, result}]++
	m.durSum[name] += d.Seconds()
	m.durCount[name]++
	m.last[name] = float64(end.UnixNano()) / 1e9
	if result == ResultOK {
		m.lastOK[name] = m.last[name]
	}
}

// SyncRun adds the totals one sync process reported of its run.
func (m *Metrics) SyncRun(t fedsync.Totals) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.runs.Checked += t.Checked
	m.runs.Changed += t.Changed
	m.runs.Failed += t.Failed
	m.runs.Requests += t.Requests
	m.runs.GitListings += t.GitListings
	m.runs.Seconds += t.Seconds
	m.nruns++
}

// writeRuns writes the sums of SyncRun.
func (m *Metrics) writeRuns(b *strings.Builder) {
	for _, c := range []struct {
		name, help string
		v          float64
	}{
		{"federate_sync_federations_checked_total", "Federations looked at by sync runs.", float64(m.runs.Checked)},
		{"federate_sync_federations_changed_total", "Federations where a sync run fetched or pushed.", float64(m.runs.Changed)},
		{"federate_sync_federations_failed_total", "Federations a sync run left not fully in sync (failed or partial).", float64(m.runs.Failed)},
		{"federate_sync_listing_requests_total", "Ref listing requests sync runs made themselves.", float64(m.runs.Requests)},
		{"federate_sync_git_listings_total", "Ref listings sync runs left to git.", float64(m.runs.GitListings)},
	} {
		family(b, c.name, "counter", c.help)
		sample(b, c.name, c.v)
	}
	family(b, "federate_sync_run_duration_seconds", "summary", "Wall time of sync runs.")
	sample(b, "federate_sync_run_duration_seconds_sum", m.runs.Seconds)
	sample(b, "federate_sync_run_duration_seconds_count", float64(m.nruns))
}

// Running and Waiting adjust the gauges of syncs in progress and of
// syncs waiting for a free job slot.
func (m *Metrics) Running(delta int) { m.mu.Lock(); m.running += delta; m.mu.Unlock() }

// Waiting adjusts the gauge of syncs waiting for a job slot.
func (m *Metrics) Waiting(delta int) { m.mu.Lock(); m.waiting += delta; m.mu.Unlock() }

// WriteTo writes every metric in the Prometheus text format.
func (m *Metrics) WriteTo(w io.Writer) (int64, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var b strings.Builder
	family(&b, "federate_webhook_requests_total", "counter", "Webhook requests by result.")
	for _, k := range sortedKeys(m.requests) {
		sample(&b, "federate_webhook_requests_total", m.requests[k], "result", k)
	}
	family(&b, "federate_sync_triggers_total", "counter", "Sync requests by what the scheduler did: started, queued (one more run after the running one) or coalesced (a run was already queued).")
	for _, k := range sortedKeys(m.triggers) {
		sample(&b, "federate_sync_triggers_total", m.triggers[k], "result", k)
	}
	family(&b, "federate_syncs_total", "counter", "Finished syncs by federation and result (ok, partial, failed).")
	keys := make([][2]string, 0, len(m.syncs))
	for k := range m.syncs {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		if keys[i][0] != keys[j][0] {
			return keys[i][0] < keys[j][0]
		}
		return keys[i][1] < keys[j][1]
	})
	for _, k := range keys {
		sample(&b, "federate_syncs_total", m.syncs[k], "federation", k[0], "result", k[1])
	}
	family(&b, "federate_sync_duration_seconds", "summary", "Time spent in syncs, by federation.")
	for _, k := range sortedKeys(m.durCount) {
		sample(&b, "federate_sync_duration_seconds_sum", m.durSum[k], "federation", k)
		sample(&b, "federate_sync_duration_seconds_count", m.durCount[k], "federation", k)
	}
	family(&b, "federate_last_sync_timestamp_seconds", "gauge", "When the last sync of a federation finished, whatever its result (Unix time).")
	for _, k := range sortedKeys(m.last) {
		sample(&b, "federate_last_sync_timestamp_seconds", m.last[k], "federation", k)
	}
	family(&b, "federate_last_sync_success_timestamp_seconds", "gauge", "When the last successful sync of a federation finished (Unix time).")
	for _, k := range sortedKeys(m.lastOK) {
		sample(&b, "federate_last_sync_success_timestamp_seconds", m.lastOK[k], "federation", k)
	}
	family(&b, "federate_syncs_running", "gauge", "Syncs in progress.")
	sample(&b, "federate_syncs_running", float64(m.running))
	family(&b, "federate_syncs_waiting", "gauge", "Syncs waiting for a free job slot.")
	sample(&b, "federate_syncs_waiting", float64(m.waiting))
	m.writeRuns(&b)
	family(&b, "federate_start_time_seconds", "gauge", "When the receiver started (Unix time).")
	sample(&b, "federate_start_time_seconds", float64(m.started.UnixNano())/1e9)
	n, err := io.WriteString(w, b.String())
	return int64(n), err
}

func family(b *strings.Builder, name, typ, help string) {
	fmt.Fprintf(b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, typ)
}

// sample writes one line; labels are name, value pairs.
func sample(b *strings.Builder, name string, v float64, labels ...string) {
	b.WriteString(name)
	if len(labels) > 0 {
		b.WriteByte('{')
		for i := 0; i+1 < len(labels); i += 2 {
			if i > 0 {
				b.WriteByte(',')
			}
			fmt.Fprintf(b, "%s=\"%s\"", labels[i], escapeLabel(labels[i+1]))
		}
		b.WriteByte('}')
	}
	b.WriteByte(' ')
	b.WriteString(strconv.FormatFloat(v, 'g', -1, 64))
	b.WriteByte('\n')
}

// escapeLabel escapes a label value as the text format requires:
// backslash, double quote and newline.
func escapeLabel(s string) string {
	return strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`).Replace(s)
}

func sortedKeys(m map[string]float64) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
