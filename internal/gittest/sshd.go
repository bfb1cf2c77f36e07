package gittest

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// SSHDPath is Debian's OpenSSH server. sshd re-executes itself for each
// connection, so it must be started by its absolute path.
const SSHDPath = "/usr/sbin/sshd"

// SSHHostAlias is the Host entry of the client config that stands for
// the test server: an scp-like URL ("user@host:path") cannot carry a
// port, so it names this alias, which carries it.
const SSHHostAlias = "fedssh"

// SSHDInstallHint is what an ssh test says when OpenSSH is missing.
const SSHDInstallHint = "run the README test command (scripts/test), which installs it: " +
	"apt-get update && apt-get install -y --no-install-recommends openssh-server"

// SSHD is a real OpenSSH server on 127.0.0.1 for the life of one test,
// accepting one generated client key for the current user, and the
// client side to reach it (key, known_hosts, config).
type SSHD struct {
	// Port is the port sshd listens on, on 127.0.0.1.
	Port int
	// User is the login name: the user running the tests (root in CI).
	User string
	// Dir holds the keys, the configs, the pid file and sshd.log.
	Dir string

	cmd    *exec.Cmd
	exited chan error
}

// StartSSHD starts sshd with a generated host key and a generated client
// key, and stops it when the test ends. It fails (never skips) when
// OpenSSH is not installed. Point git at it with
// t.Setenv("GIT_SSH_COMMAND", d.GitSSHCommand()).
func StartSSHD(t testing.TB) *SSHD {
	t.Helper()
	return startSSHD(t, SSHDPath)
}

func startSSHD(t testing.TB, bin string) *SSHD {
	t.Helper()
	for _, p := range []string{bin, "ssh", "ssh-keygen"} {
		if _, err := exec.LookPath(p); err != nil {
			t.Fatalf("no %s (%v): %s", p, err, SSHDInstallHint)
		}
	}
	d := &SSHD{Dir: t.TempDir(), User: "root"}
	if u, err := user.Current(); err == nil && u.Username != "" {
		d.User = u.Username
	}
	if err := d.prepare(); err != nil {
		t.Fatal(err)
	}
	// Another process may take the free port before sshd binds it:
	// onFreePort tries another then.
	onFreePort(t, freePort, func(port int) error { return d.start(t, bin, port) })
	return d
}

// prepare makes the keys, the client's known_hosts and config, and the
// privilege separation directory sshd insists on.
func (d *SSHD) prepare() error {
	if err := os.MkdirAll("/run/sshd", 0o755); err != nil {
		return fmt.Errorf("sshd's privilege separation directory /run/sshd: %w", err)
	}
	for _, name := range []string{"host_ed25519", "client_ed25519"} {
		out, err := exec.Command("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "federate-test",
			"-f", d.path(name)).CombinedOutput()
		if err != nil {
			return fmt.Errorf("ssh-keygen: %w\n%s", err, out)
		}
	}
	client, err := os.ReadFile(d.path("client_ed25519.pub"))
	if err != nil {
		return err
	}
	// restrict: no forwarding, no pty; git needs none of them.
	if err := os.WriteFile(d.path("authorized_keys"), append([]byte("restrict "), client...), 0o600); err != nil {
		return err
	}
	// The server's git reads no config of the machine it runs on.
	return os.WriteFile(d.path("server.gitconfig"), nil, 0o600)
}

func (d *SSHD) path(name string) string { return filepath.Join(d.Dir, name) }

// start runs sshd on port and waits until it accepts connections.
func (d *SSHD) start(t testing.TB, bin string, port int) error {
	d.Port = port
	if err := d.writeConfigs(); err != nil {
		return err
	}
	logf, err := os.OpenFile(d.path("sshd.log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return err
	}
	defer logf.Close() // sshd has its own copy
	d.cmd = exec.Command(bin, "-D", "-e", "-f", d.path("sshd_config"))
	d.cmd.Stdout, d.cmd.Stderr = logf, logf
	if err := d.cmd.Start(); err != nil {
		return fmt.Errorf("starting sshd: %w", err)
	}
	d.exited = make(chan error, 1)
	done := make(chan struct{})
	go func() { d.exited <- d.cmd.Wait(); close(done) }()
	if err := waitDialable(net.JoinHostPort("127.0.0.1", strconv.Itoa(port)), done, time.Minute); err != nil {
		d.Stop()
		return portTaken(fmt.Errorf("sshd: %w\n%s", err, d.Log()), d.Log())
	}
	t.Cleanup(d.Stop)
	return nil
}

// writeConfigs writes sshd_config, the client's known_hosts and the
// client's ssh config for the current port.
func (d *SSHD) writeConfigs() error {
	server := fmt.Sprintf(`Port %[2]d
ListenAddress 127.0.0.1
HostKey %[1]s/host_ed25519
PidFile %[1]s/sshd.pid
AuthorizedKeysFile %[1]s/authorized_keys
AllowUsers %[3]s
PermitRootLogin prohibit-password
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
StrictModes no
PrintMotd no
X11Forwarding no
AllowTcpForwarding no
AcceptEnv GIT_PROTOCOL
SetEnv GIT_CONFIG_NOSYSTEM=1 GIT_CONFIG_GLOBAL=%[1]s/server.gitconfig HOME=%[1]s/home
LogLevel VERBOSE
`, d.Dir, d.Port, d.User)
	hostKey, err := os.ReadFile(d.path("host_ed25519.pub"))
	if err != nil {
		return err
	}
	knownHosts := fmt.Sprintf("[127.0.0.1]:%d %s", d.Port, hostKey)
	client := fmt.Sprintf(`Host %[3]s
	HostName 127.0.0.1
	Port %[2]d
	IdentityFile %[1]s/client_ed25519
	IdentitiesOnly yes
	UserKnownHostsFile %[1]s/known_hosts
	StrictHostKeyChecking yes
	BatchMode yes
`, d.Dir, d.Port, SSHHostAlias)
	// The login's HOME is a directory of its own: the shell that runs
	// git-upload-pack reads no ~/.bashrc of the machine's user, whose
	// output (a version manager's, say, from logins run side by side)
	// would land in ssh's stderr and in what the tests read.
	if err := os.MkdirAll(d.path("home"), 0o700); err != nil {
		return err
	}
	for name, text := range map[string]string{"sshd_config": server, "known_hosts": knownHosts, "ssh_config": client} {
		if err := os.WriteFile(d.path(name), []byte(text), 0o600); err != nil {
			return err
		}
	}
	return nil
}

// GitSSHCommand is the GIT_SSH_COMMAND value that reaches this server:
// its key, its known host key checked strictly, no prompt. ssh reads its
// config from the passwd home directory, not $HOME, so the config with
// the Host alias is given with -F (which also leaves the machine's
// /etc/ssh/ssh_config out). No -p: for ssh:// URLs git passes the URL's
// port, and the alias carries it for scp-like URLs, so a URL that lost
// its port on the way fails.
func (d *SSHD) GitSSHCommand() string {
	return "ssh -F " + shellQuote(d.path("ssh_config")) +
		" -i " + shellQuote(d.path("client_ed25519")) +
		" -o UserKnownHostsFile=" + shellQuote(d.path("known_hosts")) +
		" -o StrictHostKeyChecking=yes -o IdentitiesOnly=yes -o BatchMode=yes"
}

// URL is the ssh:// URL of the repository at the absolute path.
func (d *SSHD) URL(path string) string {
	return fmt.Sprintf("ssh://%s@127.0.0.1:%d%s", d.User, d.Port, path)
}

// SCPURL is the scp-like URL ("user@fedssh:/abs/path") of the repository
// at the absolute path; the Host alias carries address and port.
func (d *SSHD) SCPURL(path string) string {
	return d.User + "@" + SSHHostAlias + ":" + path
}

// Log is what sshd logged so far (its connections, refused keys...).
func (d *SSHD) Log() string {
	b, _ := os.ReadFile(d.path("sshd.log"))
	return string(tailOf(b, 4000))
}

// Stop stops sshd: later connections are refused. (A connection being
// served ends by itself: each runs in its own session, which sshd does
// not take down.) It waits at most a few seconds and may be called more
// than once.
func (d *SSHD) Stop() {
	if d.cmd == nil || d.cmd.Process == nil {
		return
	}
	d.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-d.exited:
		d.exited <- err
	case <-time.After(5 * time.Second):
		d.cmd.Process.Kill()
		select {
		case err := <-d.exited:
			d.exited <- err
		case <-time.After(5 * time.Second):
		}
	}
}

// shellQuote quotes s for sh, which runs GIT_SSH_COMMAND.
func shellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
