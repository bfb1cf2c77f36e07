package federation

import (
	"path"
	"slices"
	"strings"
	"sync"

	"github.com/git-remote-federate/git-remote-federate/internal/forge"
	"github.com/git-remote-federate/git-remote-federate/internal/i18n"
)

// The git config sections this program reads.
const (
	SectionFederation = "federation"    // [federation "<name>"]: an origin and its mirrors
	SectionSet        = "federationset" // [federationset "<name>"]: every repository of an owner
	SectionHost       = "federate"      // [federate "<url>"]: settings of one server
)

// ConfigKey is one git config key of a section: the single description
// that loading, `git federate add --set`, `list` and the manuals use.
type ConfigKey struct {
	Section string // SectionFederation, SectionSet or SectionHost
	// Name is the canonical spelling ("pushOrigin"); git compares keys
	// without regard to case.
	Name string
	// Multi keys may repeat; an empty value resets the list.
	Multi bool
	// Default is the value when the key is unset, as a user would write
	// it; "" when there is none.
	Default string
	// Doc is one line for help and manuals, in English; DocMsg is the
	// same line, said in the user's language where help is printed.
	Doc    string
	DocMsg i18n.Msg
	// Check validates one value; nil accepts any.
	Check func(value string) error
}

// Keys returns every config key this program reads, section by section.
func Keys() []ConfigKey { return slices.Clone(keyTable()) }

// keyTable is the table Keys returns, built once: parsing a config looks
// keys up once per entry, and 10,000 federations are 40,000 entries.
// It is never modified.
var keyTable = sync.OnceValue(buildKeys)

func buildKeys() []ConfigKey {
	var keys []ConfigKey
	for _, section := range []string{SectionFederation, SectionSet} {
		keys = append(keys, optionKeys(section)...)
	}
	return append(keys,
		withDoc(ConfigKey{Section: SectionHost, Name: "forge", Check: checkForge},
			i18n.M("the kind of server: %s (known for github.com, gitlab.com and gitee.com)", strings.Join(forge.Names(), ", "))),
		withDoc(ConfigKey{Section: SectionHost, Name: "api", Check: checkURL},
			i18n.M("the root of the forge's web API, when it is not the forge's usual place")),
		withDoc(ConfigKey{Section: SectionHost, Name: "timeout", Check: checkTimeout},
			i18n.M("how long this server may go without answering in one network step, in place of its federation's timeout: 30s, 5m, or seconds; at least 1s")),
	)
}

// withDoc gives k its one-line doc.
func withDoc(k ConfigKey, doc i18n.Msg) ConfigKey {
	k.Doc, k.DocMsg = doc.String(), doc
	return k
}

// sectionKeys are the keys of section, from the table built once; the
// slice is shared and never modified.
func sectionKeys(section string) []ConfigKey { return sectionTable()[section] }

// sectionTable is the key table by section, built once: a config of
// 10,000 federations asks for a section's keys 10,000 times.
var sectionTable = sync.OnceValue(func() map[string][]ConfigKey {
	out := map[string][]ConfigKey{}
	for _, k := range keyTable() {
		out[k.Section] = append(out[k.Section], k)
	}
	return out
})

// optionKeys are the keys of a federation or federationset section.
func optionKeys(section string) []ConfigKey {
	k := func(name string, multi bool, def string, doc i18n.Msg, check func(string) error) ConfigKey {
		return withDoc(ConfigKey{Section: section, Name: name, Multi: multi, Default: def, Check: check}, doc)
	}
	origin, mirror := i18n.M("the repository fetched from and pushed to first"), i18n.M("a repository kept equal to origin (repeat for more)")
	include, exclude := i18n.M("a ref glob that sync and status cover (repeat for more)"), i18n.M("a ref glob that sync and status leave out (repeat for more)")
	globDefault, checkGlob := strings.Join(DefaultInclude, " "), checkRefGlob
	if section == SectionSet {
		origin, mirror = i18n.M("the owner (user or organization) URL whose repositories are federated"), i18n.M("an owner URL: member <repo> goes to <mirror>/<repo> (repeat for more)")
		include, exclude = i18n.M("a repository-name wildcard to cover (repeat for more)"), i18n.M("a repository-name wildcard to leave out (repeat for more)")
		globDefault, checkGlob = "*", checkNameGlob
	}
	return []ConfigKey{
		k("origin", false, "", origin, checkURL),
		k("mirror", true, "", mirror, checkURL),
		k("pushOrigin", false, "true", i18n.M("a push updates origin first; false: origin is a read-only upstream"), checkBool),
		k("requireMirrors", false, "false", i18n.M("a pushed ref fails unless every mirror took it"), checkBool),
		k("fetchFrom", false, FetchFromOrigin, i18n.M("origin, or nearest: objects from the fastest mirror whose refs equal origin's"), checkFetchFrom),
		k("failover", false, "true", i18n.M("fetch and clone from a mirror, with a warning, when origin is unreachable"), checkBool),
		k("syncOnFetch", false, "false", i18n.M("after a fetch from origin that brought something new, bring the mirrors up to date"), checkBool),
		k("include", true, globDefault, include, checkGlob),
		k("exclude", true, "", exclude, checkGlob),
		k("frequency", false, "1 hour", i18n.M("how often `git federate sync --daemon` runs (N mins|hours|days, at least 5 minutes)"), checkFrequency),
		k("force", false, "false", i18n.M("sync may overwrite commits that exist only on a mirror"), checkBool),
		k("prune", false, "false", i18n.M("sync may delete mirror refs that origin no longer has"), checkBool),
		k("createMissing", false, "false", i18n.M("create a missing mirror repository through the forge's API"), checkBool),
		k("timeout", false, "2m", i18n.M("how long a server may go without answering in one network step (listing refs, sending a pack, updating refs, one forge API call): 30s, 5m, or seconds; at least 1s"), checkTimeout),
		k("mirrorPush", false, MirrorPushWait, i18n.M("wait, or background: a push returns once origin accepted, and a detached process pushes the mirrors"), checkMirrorPush),
		k("lfs", false, LFSAuto, i18n.M("auto, true or false: carry Git LFS objects to origin and every mirror (auto: when the pushed commits hold LFS pointers)"), checkLFS),
	}
}

// LookupKey finds the key name (in any case) of section.
func LookupKey(section, name string) (ConfigKey, bool) {
	keys := keyTable()
	i := slices.IndexFunc(keys, func(k ConfigKey) bool {
		return k.Section == section && strings.EqualFold(k.Name, name)
	})
	if i < 0 {
		return ConfigKey{}, false
	}
	return keys[i], true
}

// KeyNames lists the canonical names of section's keys.
func KeyNames(section string) []string {
	var names []string
	for _, k := range Keys() {
		if k.Section == section {
			names = append(names, k.Name)
		}
	}
	return names
}

func checkBool(v string) error { _, err := ParseBool(v); return err }

func checkURL(v string) error { _, err := ParseEndpoint(v); return err }

func checkFrequency(v string) error { _, err := ParseFrequency(v); return err }

func checkTimeout(v string) error { _, err := ParseTimeout(v); return err }

func checkFetchFrom(v string) error {
	return checkOneOf(v, FetchFromOrigin, FetchFromNearest)
}

func checkMirrorPush(v string) error {
	return checkOneOf(v, MirrorPushWait, MirrorPushBackground)
}

func checkLFS(v string) error {
	if strings.EqualFold(v, LFSAuto) {
		return nil
	}
	return checkBool(v)
}

func checkForge(v string) error { return checkOneOf(v, forge.Names()...) }

// checkOneOf accepts v when it is one of choices, in any case.
func checkOneOf(v string, choices ...string) error {
	if slices.Contains(choices, strings.ToLower(v)) {
		return nil
	}
	return i18n.Errorf("%q is not %s", v, strings.Join(choices, " or "))
}

// checkRefGlob accepts a ref glob: one that does not start with refs/
// or does not parse would silently match nothing.
func checkRefGlob(v string) error {
	if !strings.HasPrefix(v, "refs/") {
		return i18n.Errorf("%q: a ref glob starts with refs/ (for example refs/heads/*)", v)
	}
	return checkNameGlob(v)
}

func checkNameGlob(v string) error {
	if _, err := path.Match(v, ""); err != nil {
		return i18n.Errorf("bad glob %q: %w", v, err)
	}
	if v == "" {
		return i18n.Errorf("an empty glob matches nothing")
	}
	return nil
}
