package federation

import (
	"maps"
	"os"
	"path"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/git-remote-federate/git-remote-federate/internal/gitexec"
	"github.com/git-remote-federate/git-remote-federate/internal/i18n"
)

// ErrNoFederation is returned when a name matches no configured federation.
var ErrNoFederation = i18n.Errorf("no such federation")

// FetchFrom values.
const (
	FetchFromOrigin  = "origin"
	FetchFromNearest = "nearest"
)

// MirrorPush values.
const (
	MirrorPushWait = "wait"
	// MirrorPushBackground returns once the origin accepted; a detached
	// process pushes the mirrors from the pending queue.
	MirrorPushBackground = "background"
)

// LFSAuto is the lfs value that carries LFS objects only when the pushed
// commits' .gitattributes name the LFS filter.
const LFSAuto = "auto"

// CarriesLFS reports whether pushes and sync carry Git LFS objects, and
// whether they look for pointers even where no .gitattributes names the
// LFS filter (always).
func (o Options) CarriesLFS() (on, always bool) {
	return o.LFS != "false", o.LFS == "true"
}

// MinFrequency is the shortest period `sync --daemon` accepts.
const MinFrequency = 5 * time.Minute

// Options are the per-federation settings, shared by [federation] and
// [federationset] sections; Keys describes each.
type Options struct {
	PushOrigin     bool
	RequireMirrors bool
	FetchFrom      string
	Failover       bool
	SyncOnFetch    bool
	Include        []string // ref globs
	Exclude        []string
	Frequency      time.Duration
	Force          bool
	Prune          bool
	CreateMissing  bool
	MirrorPush     string // MirrorPushWait or MirrorPushBackground
	// Timeout is how long a server may leave one network step (listing
	// refs, sending or receiving a pack, updating refs) without progress
	// before it is given up: key "timeout".
	Timeout time.Duration
	LFS     string // LFSAuto, "true" or "false"
}

// DefaultTimeout is Options.Timeout when the config is silent.
const DefaultTimeout = 2 * time.Minute

// DefaultOptions are the values a federation has when its config is
// silent: the defaults of Keys.
func DefaultOptions() Options { return defaultOptions() }

// defaultOptions are DefaultOptions, built once from the key table (they
// hold no slice a caller could share: lists have no default value).
var defaultOptions = sync.OnceValue(func() Options {
	var o Options
	for _, k := range sectionKeys(SectionFederation) {
		if !k.Multi && k.Default != "" {
			o.set(k.Name, []string{k.Default})
		}
	}
	return o
})

// DefaultInclude is what sync and status cover when include is not set.
var DefaultInclude = []string{"refs/heads/*", "refs/tags/*"}

// Federation is an origin and its mirrors.
type Federation struct {
	Name    string
	Origin  Endpoint
	Mirrors []Endpoint
	Options
	// Limits are the servers' own timeouts, by Endpoint.Raw, where a
	// [federate "<url>"] section sets one; see TimeoutOf.
	Limits map[string]Limit
	// OriginChangedAt is when the forge last saw a push to origin, as its
	// repository listing reports it (federationset members only; zero when
	// unknown). Sync uses it only to skip listing refs of a member that
	// has not changed since it was last in sync.
	OriginChangedAt time.Time
}

// TimeoutKey is the config key that sets f's timeout, for messages
// that say which limit was reached: a member of a federationset takes
// its set's.
func (f *Federation) TimeoutKey() string {
	if f.Name == "" {
		return "federation.<name>.timeout"
	}
	if set, _, ok := strings.Cut(f.Name, "/"); ok {
		return "federationset." + set + ".timeout"
	}
	return "federation." + f.Name + ".timeout"
}

// Limit is one server's own timeout and the key that sets it.
type Limit struct {
	Timeout time.Duration
	Key     string
}

// TimeoutOf is how long server e of f may go without answering: its own
// [federate "<url>"] timeout when one is set, else f's. key names the
// setting, for messages that say which limit was reached.
func (f *Federation) TimeoutOf(e Endpoint) (d time.Duration, key string) {
	if l, ok := f.Limits[e.Raw]; ok {
		return l.Timeout, l.Key
	}
	return f.Timeout, f.TimeoutKey()
}

// LimitOf is the limit TimeoutOf says, without the key's name, which is
// built for a message only: a sync asks it for each of 40,000 listings.
func (f *Federation) LimitOf(e Endpoint) time.Duration {
	if l, ok := f.Limits[e.Raw]; ok {
		return l.Timeout
	}
	return f.Timeout
}

// GitLimits are f's servers that have a timeout of their own, for
// gitexec.Runner.WithServerLimits.
func (f *Federation) GitLimits() []gitexec.ServerLimit {
	var out []gitexec.ServerLimit
	for _, e := range f.Servers() {
		if l, ok := f.Limits[e.Raw]; ok {
			out = append(out, gitexec.ServerLimit{URL: e.Raw, SSH: e.Protocol == "ssh", Host: e.Host, Path: e.Path,
				Limit: l.Timeout, Key: l.Key})
		}
	}
	return out
}

// SetLimits records, for each server of f, the timeout its
// [federate "<url>"] section sets, if any.
func (c *Config) SetLimits(f *Federation) {
	if !slices.ContainsFunc(c.Hosts, func(h Host) bool { return h.Timeout > 0 }) {
		return // no server has a limit of its own: HostFor parses every section's URL
	}
	for _, e := range f.Servers() {
		if h := c.HostFor(e); h.Timeout > 0 {
			if f.Limits == nil {
				f.Limits = map[string]Limit{}
			}
			f.Limits[e.Raw] = Limit{Timeout: h.Timeout, Key: "federate." + h.URL + ".timeout"}
		}
	}
}

// Servers is the origin, then the mirrors in order, in a new slice.
func (f *Federation) Servers() []Endpoint {
	return append([]Endpoint{f.Origin}, f.Mirrors...)
}

// HasSSH reports whether one of f's servers is reached over ssh.
func (f *Federation) HasSSH() bool {
	for _, e := range f.Servers() {
		if e.Protocol == "ssh" {
			return true
		}
	}
	return false
}

// Covers reports whether sync and status cover ref: it matches an include
// glob (DefaultInclude when none is set) and no exclude glob.
func (f *Federation) Covers(ref string) bool {
	if len(f.Include) == 0 && len(f.Exclude) == 0 {
		return coveredByDefault(ref)
	}
	inc := f.Include
	if len(inc) == 0 {
		inc = DefaultInclude
	}
	return matchAny(inc, ref) && !matchAny(f.Exclude, ref)
}

// coveredByDefault is matchAny(DefaultInclude, ref), said without its
// globs (TestCovers holds them together): nearly every federation covers
// the default refs, and its sync asks this of every ref of every
// listing.
func coveredByDefault(ref string) bool {
	return strings.HasPrefix(ref, "refs/heads/") || strings.HasPrefix(ref, "refs/tags/")
}

func matchAny(globs []string, s string) bool {
	for _, g := range globs {
		// "refs/heads/*" should also cover "refs/heads/a/b", as in
		// refspecs. Asked first: it is the usual glob, and cheaper than
		// path.Match, whose matches of it it takes in; when the rest of
		// the glob is literal, path.Match can match nothing more.
		if dir, ok := strings.CutSuffix(g, "/*"); ok {
			if strings.HasPrefix(s, g[:len(g)-1]) {
				return true
			}
			if !hasGlobMeta(dir) {
				continue
			}
		}
		if ok, _ := path.Match(g, s); ok {
			return true
		}
	}
	return false
}

// hasGlobMeta reports whether s has a character path.Match reads as
// more than itself. One look at each byte: asked for each ref of each
// listing of thousands of federations.
func hasGlobMeta(s string) bool {
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '*', '?', '[', '\\':
			return true
		}
	}
	return false
}

// Set is a [federationset]: every repository of an owner, filtered by name.
type Set struct {
	Name    string
	Origin  string   // owner URL
	Mirrors []string // owner URLs
	Include []string // repository-name wildcards
	Exclude []string
	Options
}

// Host is a [federate "<url>"] section: per-host settings.
type Host struct {
	URL   string
	Forge string
	API   string
	// Timeout, when set (key "timeout"), is the limit of the servers this
	// section covers in place of their federation's timeout.
	Timeout time.Duration
}

// Config is everything git config says about federations.
type Config struct {
	Federations map[string]*Federation
	Sets        map[string]*Set
	Hosts       []Host
	// Invalid holds, by name, the federations whose config has an error.
	// They are left out of Federations, so one mistake does not stop the
	// others from working; naming one reports its error.
	Invalid map[string]error
}

// Entry is one key of git config, as Parse takes it.
type Entry = gitexec.ConfigEntry

// Parse builds a Config from git config entries, in git's order (later
// entries override earlier ones for single-valued keys). Errors name the
// key that is wrong.
func Parse(entries []Entry) (*Config, error) {
	p := newParser(nil)
	for _, e := range entries {
		p.add(e)
	}
	return p.finish()
}

// A parser builds a Config from git config entries as git writes them
// (LoadWith gives it each entry while git still reads the rest of its
// files). A section is parsed once the entries move on to another, so
// that the parsing of thousands of federations is done beside git; a
// section a later file adds to is parsed again, with every entry.
type parser struct {
	keep     func(name string) bool // the [federation] sections to read; nil: all
	sections map[sectionID]*rawSection
	order    []*rawSection // as they first came
	last     *rawSection   // the section of the last entry read
	skipped  sectionID     // the [federation] section keep refused last
}

type sectionID struct{ section, sub string }

// rawSection is a section's entries, and what they parsed to. The
// entries are kept as they came, not as a map of keys to values: a map
// for each of 10,000 federations, alive until the end of the read, made
// the heap a collection saw during it half as large again, and so the
// heap the next one let grow (peak RSS 44 -> 56 MiB).
type rawSection struct {
	id      sectionID
	entries []rawEntry
	parsed  bool // fed, set, host and err say the entries as they are
	fed     *Federation
	set     *Set
	host    *Host
	err     error
}

func newParser(keep func(name string) bool) *parser {
	return &parser{keep: keep, sections: map[sectionID]*rawSection{}}
}

// add reads one entry.
func (p *parser) add(e Entry) {
	section, sub, key, ok := SplitKey(e.Key)
	if !ok {
		return
	}
	s := p.last
	if s == nil || s.id.section != section || s.id.sub != sub {
		switch section {
		case SectionFederation:
			if p.keep != nil && (p.skipped == sectionID{section, sub} || !p.keep(sub)) {
				p.skipped = sectionID{section, sub}
				return
			}
		case SectionSet, SectionHost:
		default:
			return
		}
		if s != nil && !s.parsed {
			s.parse()
		}
		s = p.section(sectionID{section, sub})
		p.last = s
	}
	s.parsed = false
	s.entries = append(s.entries, rawEntry{key, e.Value})
}

// rawEntry is a key of a section (lower case, as git prints it) and
// its value.
type rawEntry struct{ key, value string }

// values is the section's keys and their values, in order: an empty
// value of a list resets it, as credential.helper does.
func (s *rawSection) values() map[string][]string {
	kv := make(map[string][]string, len(s.entries))
	for _, e := range s.entries {
		if isMulti(s.id.section, e.key) && e.value == "" {
			kv[e.key] = nil
			continue
		}
		kv[e.key] = append(kv[e.key], e.value)
	}
	return kv
}

// section is the section id, made when it first comes.
func (p *parser) section(id sectionID) *rawSection {
	s, ok := p.sections[id]
	if !ok {
		s = &rawSection{id: id, entries: make([]rawEntry, 0, 4)} // an origin and three mirrors
		p.sections[id] = s
		p.order = append(p.order, s)
	}
	return s
}

// finish parses what is left and makes the Config, the sections in the
// order they first came.
func (p *parser) finish() (*Config, error) {
	if p.last != nil && !p.last.parsed {
		p.last.parse()
	}
	c := &Config{Federations: make(map[string]*Federation, len(p.order)), Sets: map[string]*Set{}, Invalid: map[string]error{}}
	var errs []error
	for _, s := range p.order {
		switch {
		case s.host != nil:
			c.Hosts = append(c.Hosts, *s.host)
		case s.set != nil:
			c.Sets[s.id.sub] = s.set
		case s.err != nil:
			c.Invalid[s.id.sub] = s.err
		default:
			c.Federations[s.id.sub] = s.fed
		}
		if s.err != nil {
			errs = append(errs, s.err)
		}
	}
	for _, f := range c.Federations {
		c.SetLimits(f)
	}
	return c, i18n.Join(errs...)
}

// parse parses s's entries as they are.
func (s *rawSection) parse() {
	s.parsed = true
	s.fed, s.set, s.host, s.err = nil, nil, nil, nil
	section, name, kv := s.id.section, s.id.sub, s.values()
	switch section {
	case SectionHost:
		h := Host{URL: name, Forge: strings.ToLower(last(kv["forge"])), API: last(kv["api"])}
		h.Timeout, _ = ParseTimeout(last(kv["timeout"]))
		s.host, s.err = &h, checkValues(section, name, kv)
	case SectionSet:
		set := &Set{Name: name, Origin: last(kv["origin"]), Mirrors: kv["mirror"],
			Include: kv["include"], Exclude: kv["exclude"]}
		opts, err := parseOptions(section, name, kv)
		set.Options = opts
		set.Options.Include, set.Options.Exclude = nil, nil // a set's globs name repositories, not refs
		if set.Origin == "" {
			err = i18n.Join(err, i18n.Errorf("federationset.%s.origin is not set", name))
		}
		s.set, s.err = set, err
	default:
		s.fed, s.err = parseFederation(name, kv)
	}
}

// parseFederation parses the entries kv of [federation "name"].
func parseFederation(name string, kv map[string][]string) (*Federation, error) {
	f := &Federation{Name: name}
	var errs []error
	var err error
	if f.Options, err = parseOptions(SectionFederation, name, kv); err != nil {
		errs = append(errs, err)
	}
	if o := last(kv["origin"]); o == "" {
		errs = append(errs, i18n.Errorf("federation.%s.origin is not set", name))
	} else if f.Origin, err = ParseEndpoint(o); err != nil {
		errs = append(errs, i18n.Errorf("federation.%s.origin: %w", name, err))
	}
	if n := len(kv["mirror"]); n > 0 {
		f.Mirrors = make([]Endpoint, 0, n)
	}
	for _, m := range kv["mirror"] {
		ep, err := ParseEndpoint(m)
		if err != nil {
			errs = append(errs, i18n.Errorf("federation.%s.mirror: %w", name, err))
			continue
		}
		f.Mirrors = append(f.Mirrors, ep)
	}
	if err := i18n.Join(errs...); err != nil {
		return nil, err
	}
	return f, nil
}

// isMulti reports whether key (lower case, as git prints it) of section
// may repeat.
func isMulti(section, key string) bool {
	k, ok := LookupKey(section, key)
	return ok && k.Multi
}

// checkValues validates every value of kv that the key table describes:
// the last one of a single-valued key, all of a list. Errors name the key
// as the table spells it.
func checkValues(section, name string, kv map[string][]string) error {
	var errs []error
	for _, k := range sectionKeys(section) {
		vals := kv[strings.ToLower(k.Name)]
		if k.Section != section || k.Check == nil || len(vals) == 0 {
			continue
		}
		if !k.Multi {
			vals = vals[len(vals)-1:]
		}
		for _, v := range vals {
			if err := k.Check(v); err != nil {
				errs = append(errs, i18n.Errorf("%s.%s.%s: %w", section, name, k.Name, err))
			}
		}
	}
	return i18n.Join(errs...)
}

// parseOptions reads the options of a federation or federationset from
// kv (keys lower case, as git prints them) over DefaultOptions. Origin
// and mirrors are the caller's: they mean different things per section.
func parseOptions(section, name string, kv map[string][]string) (Options, error) {
	o := DefaultOptions()
	var opts map[string][]string
	// kv holds the few keys the section sets: most federations set
	// origin and mirrors alone, and a config may hold 10,000 of them.
	for key, vals := range kv {
		k, ok := LookupKey(section, key)
		if !ok || len(vals) == 0 || k.Name == "origin" || k.Name == "mirror" {
			continue
		}
		o.set(k.Name, vals)
		if opts == nil {
			opts = map[string][]string{}
		}
		opts[key] = vals
	}
	if opts == nil {
		return o, nil
	}
	return o, checkValues(section, name, opts)
}

// set stores the values of option key (canonical spelling) in o. An
// invalid value leaves the option as it was; the caller reports it.
func (o *Options) set(key string, vals []string) {
	v := last(vals)
	if k, ok := LookupKey(SectionFederation, key); ok && !k.Multi && k.Check(v) != nil {
		return
	}
	b, _ := ParseBool(v)
	switch key {
	case "pushOrigin":
		o.PushOrigin = b
	case "requireMirrors":
		o.RequireMirrors = b
	case "fetchFrom":
		o.FetchFrom = strings.ToLower(v)
	case "failover":
		o.Failover = b
	case "syncOnFetch":
		o.SyncOnFetch = b
	case "include":
		o.Include = vals
	case "exclude":
		o.Exclude = vals
	case "frequency":
		o.Frequency, _ = ParseFrequency(v)
	case "force":
		o.Force = b
	case "prune":
		o.Prune = b
	case "createMissing":
		o.CreateMissing = b
	case "mirrorPush":
		o.MirrorPush = strings.ToLower(v)
	case "timeout":
		o.Timeout, _ = ParseTimeout(v)
	case "lfs":
		o.LFS = LFSAuto
		if !strings.EqualFold(v, LFSAuto) {
			o.LFS = strconv.FormatBool(b)
		}
	}
}

// ParseTimeout reads a time limit: a Go duration ("30s", "5m") or a
// number of seconds. It must be at least one second, the finest limit
// git's transports take.
func ParseTimeout(v string) (time.Duration, error) {
	v = strings.TrimSpace(v)
	d, err := time.ParseDuration(v)
	if err != nil {
		n, nerr := strconv.Atoi(v)
		if nerr != nil {
			return 0, i18n.Errorf("%q is not a duration (30s, 5m) or a number of seconds", v)
		}
		d = time.Duration(n) * time.Second
	}
	if d < time.Second {
		return 0, i18n.Errorf("%q is under one second", v)
	}
	return d, nil
}

// ParseBool reads a git config boolean: true/yes/on/1 or false/no/off/0;
// an empty value (a key with no "=") is true.
func ParseBool(v string) (bool, error) { return gitexec.ParseBool(v) }

// ParseFrequency reads "N mins|hours|days" (Gitblit's form; "N" alone is
// minutes). Values under MinFrequency are refused: a sync that often would
// hammer the forges. Gitblit applies its
// minimum before the unit, so "2 hours" there could become 2×5; here the
// minimum applies to the resulting duration.
func ParseFrequency(v string) (time.Duration, error) {
	fields := strings.Fields(strings.ToLower(v))
	if len(fields) == 0 || len(fields) > 2 {
		return 0, i18n.Errorf("%q is not \"N mins|hours|days\"", v)
	}
	n, err := strconv.Atoi(fields[0])
	if err != nil || n <= 0 {
		return 0, i18n.Errorf("%q is not \"N mins|hours|days\" with N > 0", v)
	}
	unit := time.Minute
	if len(fields) == 2 {
		switch u := fields[1]; {
		case strings.HasPrefix(u, "min"), u == "m":
			unit = time.Minute
		case strings.HasPrefix(u, "hour"), u == "h":
			unit = time.Hour
		case strings.HasPrefix(u, "day"), u == "d":
			unit = 24 * time.Hour
		default:
			return 0, i18n.Errorf("%q: unit %q is not mins, hours or days", v, u)
		}
	}
	if n > int(maxFrequency/unit) {
		return 0, i18n.Errorf("%q is longer than a year", v)
	}
	d := time.Duration(n) * unit
	if d < MinFrequency {
		return 0, i18n.Errorf("%q is too often: the minimum is %d mins", v, int(MinFrequency/time.Minute))
	}
	return d, nil
}

// maxFrequency bounds ParseFrequency so that N×unit cannot overflow.
const maxFrequency = 366 * 24 * time.Hour

// SplitKey splits a git config key "section.sub.key" (the subsection may
// hold dots) and lower-cases section and key, as git compares them.
func SplitKey(k string) (section, sub, key string, ok bool) {
	i := strings.IndexByte(k, '.')
	j := strings.LastIndexByte(k, '.')
	if i < 0 || j <= i {
		return "", "", "", false
	}
	return strings.ToLower(k[:i]), k[i+1 : j], strings.ToLower(k[j+1:]), true
}

func last(v []string) string { s, _ := lastOK(v); return s }

func lastOK(v []string) (string, bool) {
	if len(v) == 0 {
		return "", false
	}
	return v[len(v)-1], true
}

// Names returns the federation names in sorted order.
func (c *Config) Names() []string {
	names := make([]string, 0, len(c.Federations))
	for n := range c.Federations {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// Lookup returns the federation called name.
func (c *Config) Lookup(name string) (*Federation, error) {
	if f, ok := c.Federations[name]; ok {
		return f, nil
	}
	if err, ok := c.Invalid[name]; ok {
		return nil, i18n.Errorf("federation %q is misconfigured: %w", name, err)
	}
	return nil, c.unknownName(name)
}

// Resolve turns the argument of a federate:: URL into a federation: a
// configured name, or an origin URL whose mirrors come from the federation
// with that origin (none if there is none). into is the repository git
// fetches into or pushes from (GIT_DIR), "" when there is none.
func (c *Config) Resolve(arg, into string) (*Federation, error) {
	if f, ok := c.Federations[arg]; ok {
		return f, nil
	}
	if _, ok := c.Invalid[arg]; ok {
		return c.Lookup(arg)
	}
	if looksLikeName(arg) && (!isDir(arg) || isRepository(arg, into)) {
		// A bare word is a federation name unless such a directory
		// exists, as `git clone word` would take it; but not the
		// directory `git clone federate::word` has just made for the
		// clone: a mistyped name cloned that empty repository into
		// itself, and said nothing.
		return c.Lookup(arg)
	}
	ep, err := ParseEndpoint(arg)
	if err != nil {
		return nil, err
	}
	found := c.WithOrigin(ep)
	switch len(found) {
	case 0:
		f := &Federation{Origin: ep, Options: DefaultOptions()}
		c.SetLimits(f)
		return f, nil
	case 1:
		return found[0], nil
	}
	// Which one's mirrors a push updates is not ours to guess.
	names := make([]string, len(found))
	for i, f := range found {
		names[i] = "federate::" + f.Name
	}
	return nil, i18n.Errorf("%s is the origin of more than one federation: use %s", arg, quoteList(names, " or "))
}

// WithOrigin is the federations whose origin is ep's repository, by name.
func (c *Config) WithOrigin(ep Endpoint) []*Federation {
	var found []*Federation
	for _, name := range c.Names() {
		if f := c.Federations[name]; f.Origin.SameRepo(ep) {
			found = append(found, f)
		}
	}
	return found
}

// WithMirror names what has raw (a URL as a pending queue keeps it) as a
// mirror: each federation, and each set whose mirror owner holds it (a
// set's members are not listed here), sorted.
func (c *Config) WithMirror(raw string) []string {
	var names []string
	for _, name := range c.Names() {
		for _, m := range c.Federations[name].Mirrors {
			if m.Raw == raw {
				names = append(names, name)
				break
			}
		}
	}
	for _, name := range slices.Sorted(maps.Keys(c.Sets)) {
		for _, owner := range c.Sets[name].Mirrors {
			if strings.HasPrefix(raw, strings.TrimRight(owner, "/")+"/") {
				names = append(names, name)
				break
			}
		}
	}
	return names
}

// SharedOrigins is every origin that more than one federation has, each
// with the names of those federations (sorted), in the order of their
// first names: federate::<such an origin> names none of them.
func (c *Config) SharedOrigins() [][]string {
	by := map[string][]string{}
	var order []string
	for _, name := range c.Names() {
		key := c.Federations[name].Origin.Normalized()
		if by[key] == nil {
			order = append(order, key)
		}
		by[key] = append(by[key], name)
	}
	var shared [][]string
	for _, key := range order {
		if len(by[key]) > 1 {
			shared = append(shared, by[key])
		}
	}
	return shared
}

// isRepository reports whether dir is the repository whose git
// directory is gitDir: the git directory itself, or a work tree whose
// .git is it (a directory, or a file naming it).
func isRepository(dir, gitDir string) bool {
	if gitDir == "" {
		return false
	}
	g, err := os.Stat(gitDir)
	if err != nil {
		return false
	}
	same := func(p string) bool {
		fi, err := os.Stat(p)
		return err == nil && os.SameFile(fi, g)
	}
	if same(dir) || same(filepath.Join(dir, ".git")) {
		return true
	}
	// git clone --separate-git-dir: .git is a file, "gitdir: PATH".
	b, err := os.ReadFile(filepath.Join(dir, ".git"))
	if err != nil {
		return false
	}
	p, ok := strings.CutPrefix(strings.TrimSpace(string(b)), "gitdir: ")
	if !ok {
		return false
	}
	if !filepath.IsAbs(p) {
		p = filepath.Join(dir, p)
	}
	return same(p)
}

func looksLikeName(s string) bool {
	return s != "" && !strings.HasPrefix(s, "-") && !strings.HasPrefix(s, ".") &&
		!strings.HasPrefix(s, "~") && !strings.ContainsAny(s, "/:\\")
}

func isDir(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && fi.IsDir()
}

// HostFor returns the [federate "<url>"] settings that apply to u, matched
// the way git matches http.<url>.* : the longest matching prefix wins.
func (c *Config) HostFor(e Endpoint) Host {
	var best Host
	bestLen := -1
	for _, h := range c.Hosts {
		he, err := ParseEndpoint(h.URL)
		if err != nil || he.Protocol != e.Protocol || he.Host != e.Host {
			continue
		}
		p := strings.TrimSuffix(he.Path, "/")
		if (p == "" || e.Path == p || strings.HasPrefix(e.Path, p+"/")) && len(p) > bestLen {
			best, bestLen = h, len(p)
		}
	}
	return best
}
