package gitexec

import (
	"errors"
	"io"
	"os"
	"strconv"
	"strings"
)

// SlotEnv tells the credential callback of a child which file descriptor
// holds the slot, and for which server: "<fd> <protocol>://<host>".
const SlotEnv = "FEDERATE_CREDENTIAL_SLOT"

// errNoSlot is NewSlot's error where the system has no anonymous memory
// files: children then call this program back for every credential.
var errNoSlot = errors.New("no credential slot on this system")

// Slot is the credential of one server (protocol://host[:port]) for every
// git child of one session: an anonymous memory file, never on disk, that
// the children inherit as a file descriptor, never in argv, a URL or the
// environment. git's credential requests of a child are answered by a
// shell function (SlotHelper) that reads it, without starting this
// program: the token of the session is handed over that way, and a
// password typed at git's prompt, remembered there by the callback, is
// not asked again by the session's next child.
type Slot struct {
	// URL is "protocol://host[:port]", as the slot's credential is for.
	URL  string
	exe  string
	file *os.File
	// token: Put gave it a token of this program; set before any child
	// starts.
	token bool
}

// NewSlot makes an empty slot for url; exe is this program, called back
// for what the slot cannot answer.
func NewSlot(url, exe string) (*Slot, error) {
	f, err := memFile("federate-credential")
	if err != nil {
		return nil, err
	}
	return &Slot{URL: url, exe: exe, file: f}, nil
}

// Put makes user and password, a token of this program, the slot's
// credential: the children it goes to never trace it (Runner.Command).
// Neither may hold a newline.
func (s *Slot) Put(user, password string) error {
	if strings.ContainsAny(user+password, "\n\x00") {
		return errors.New("credential with a newline or NUL")
	}
	s.token = true
	return putSlot(s.file, user+"\n"+password+"\n")
}

// Close releases the slot.
func (s *Slot) Close() error { return s.file.Close() }

func putSlot(f *os.File, content string) error {
	// Writes at offset 0, never through the descriptor's shared offset,
	// which the readers (reopening the file) never move either.
	if err := f.Truncate(0); err != nil {
		return err
	}
	_, err := f.WriteAt([]byte(content), 0)
	return err
}

// attach gives cmd's child the slot as its file descriptor, with
// SlotHelper as its only credential helper.
func (s *Slot) attach(extra []*os.File, env []string) ([]*os.File, []string) {
	fd := 3 + len(extra)
	env = setEnv(env, SlotEnv, strconv.Itoa(fd)+" "+s.URL)
	base, _ := lookup(env, "GIT_CONFIG_PARAMETERS")
	params := strings.TrimSpace(base + " " + ShellQuote("credential.helper=") + " " +
		ShellQuote("credential.helper=!"+SlotHelper(s.exe, fd, s.URL)))
	return append(extra, s.file), setEnv(env, "GIT_CONFIG_PARAMETERS", params)
}

// SlotHelper is the credential helper, in git's "!shell" form, that
// answers from the slot on descriptor fd for url: get hands its
// credential over, store of that same credential does nothing; anything
// else (another server, another username, an empty slot, erase) goes to
// this program (exe) as the usual callback. The slot is reopened through
// /proc so that every reader starts at its beginning.
func SlotHelper(exe string, fd int, url string) string {
	return `f() { r= p= h= u= pw=; ` +
		`while IFS= read -r l; do r="$r$l
"; case $l in protocol=*) p=${l#protocol=};; host=*) h=${l#host=};; username=*) u=${l#username=};; password=*) pw=${l#password=};; esac; done; ` +
		`if [ "$p://$h" = ` + ShellQuote(url) + ` ] && { IFS= read -r su && IFS= read -r sp; } </proc/self/fd/` + strconv.Itoa(fd) + ` 2>/dev/null && [ -n "$sp" ] && { [ -z "$u" ] || [ "$u" = "$su" ]; }; then ` +
		`case $1 in get) printf 'username=%s\npassword=%s\n' "$su" "$sp"; return;; store) [ "$pw" = "$sp" ] && return;; esac; fi; ` +
		`printf %s "$r" | ` + ShellQuote(exe) + ` ` + CallbackArg + ` "$1"; }; f`
}

// ChildSlot is the slot named by SlotEnv in env, as the credential
// callback of a child sees it; nil when there is none.
type ChildSlot struct {
	URL  string
	file *os.File
}

// OpenChildSlot returns the slot the callback's parent gave it, if any.
func OpenChildSlot(getenv func(string) string) *ChildSlot {
	fdText, url, ok := strings.Cut(getenv(SlotEnv), " ")
	fd, err := strconv.Atoi(fdText)
	if !ok || err != nil || fd < 3 || url == "" {
		return nil
	}
	f := os.NewFile(uintptr(fd), "credential-slot")
	if f == nil {
		return nil
	}
	if _, err := f.Stat(); err != nil {
		return nil
	}
	return &ChildSlot{URL: url, file: f}
}

// Put makes user and password the credential of the session's later
// children for c.URL.
func (c *ChildSlot) Put(user, password string) error {
	if strings.ContainsAny(user+password, "\n\x00") {
		return errors.New("credential with a newline or NUL")
	}
	return putSlot(c.file, user+"\n"+password+"\n")
}

// Forget empties the slot when it holds password (refused by the server).
func (c *ChildSlot) Forget(password string) error {
	b := make([]byte, 64<<10)
	n, err := c.file.ReadAt(b, 0)
	if err != nil && !errors.Is(err, io.EOF) {
		return err
	}
	lines := strings.Split(string(b[:n]), "\n")
	if len(lines) < 2 || lines[1] != password {
		return nil
	}
	return putSlot(c.file, "")
}
