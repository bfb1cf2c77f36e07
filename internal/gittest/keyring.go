package gittest

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

// InstallHint is what a keyring test says when the Secret Service parts
// are missing.
const InstallHint = "run the README test command, which installs them: " +
	"apt-get update && apt-get install -y --no-install-recommends gnome-keyring libsecret-tools"

// Bus is a private D-Bus session bus, and optionally gnome-keyring's
// Secret Service on it. Nothing on it is activated on demand: a bus
// without the keyring stays without one.
type Bus struct {
	// Address is the DBUS_SESSION_BUS_ADDRESS of the bus.
	Address string
	// Dir holds the bus socket and the keyring's data.
	Dir string

	procs []*exec.Cmd
}

// busConfig is a session bus with no service directories, so nothing
// (not gnome-keyring, not a prompter) is auto-started.
const busConfig = `<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:path=%s</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
`

// StartBus starts a private dbus-daemon with nothing on it. Call Stop.
func StartBus() (*Bus, error) {
	if _, err := exec.LookPath("dbus-daemon"); err != nil {
		return nil, fmt.Errorf("dbus-daemon not found: %s", InstallHint)
	}
	dir, err := os.MkdirTemp("", "federate-bus-*")
	if err != nil {
		return nil, err
	}
	b := &Bus{Dir: dir}
	conf := filepath.Join(dir, "bus.conf")
	if err := os.WriteFile(conf, []byte(fmt.Sprintf(busConfig, filepath.Join(dir, "bus"))), 0o600); err != nil {
		b.Stop()
		return nil, err
	}
	cmd := exec.Command("dbus-daemon", "--config-file="+conf, "--nofork", "--print-address=1")
	cmd.Env = b.env(os.Environ())
	out, err := cmd.StdoutPipe()
	if err != nil {
		b.Stop()
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		b.Stop()
		return nil, fmt.Errorf("starting dbus-daemon: %w", err)
	}
	b.procs = append(b.procs, cmd)
	addr := make(chan string, 1)
	go func() {
		line, _ := bufio.NewReader(out).ReadString('\n')
		addr <- strings.TrimSpace(line)
	}()
	select {
	case a := <-addr:
		b.Address = a
	case <-time.After(time.Minute): // a healthy start: no loaded machine takes that long
	}
	if b.Address == "" {
		b.Stop()
		return nil, errors.New("dbus-daemon printed no address")
	}
	return b, nil
}

// StartSecretService starts a private bus with gnome-keyring-daemon's
// Secret Service on it, its login collection unlocked with a test
// password. Call Stop. Tests that use it must run go-keyring with
// DBUS_SESSION_BUS_ADDRESS = Address, set before the process first talks
// to D-Bus: godbus keeps its session connection for the life of the
// process, so start this once in TestMain.
func StartSecretService() (*Bus, error) {
	if _, err := exec.LookPath("gnome-keyring-daemon"); err != nil {
		return nil, fmt.Errorf("gnome-keyring-daemon not found: %s", InstallHint)
	}
	if _, err := exec.LookPath("secret-tool"); err != nil {
		return nil, fmt.Errorf("secret-tool not found: %s", InstallHint)
	}
	b, err := StartBus()
	if err != nil {
		return nil, err
	}
	cmd := exec.Command("gnome-keyring-daemon", "--foreground", "--unlock", "--components=secrets")
	cmd.Env = b.env(os.Environ())
	cmd.Stdin = strings.NewReader("test-password")
	if err := cmd.Start(); err != nil {
		b.Stop()
		return nil, fmt.Errorf("starting gnome-keyring-daemon: %w", err)
	}
	b.procs = append(b.procs, cmd)
	if err := b.waitFor("org.freedesktop.secrets", time.Minute); err != nil {
		b.Stop()
		return nil, err
	}
	return b, nil
}

// Env is what a child needs to use this bus (and its keyring).
func (b *Bus) Env() []string { return b.env(nil) }

func (b *Bus) env(base []string) []string {
	env := append([]string(nil), base...)
	return append(env,
		"DBUS_SESSION_BUS_ADDRESS="+b.Address,
		"XDG_RUNTIME_DIR="+b.Dir,
		"XDG_DATA_HOME="+filepath.Join(b.Dir, "data"),
		"DISPLAY=")
}

// waitFor polls the bus until name has an owner.
func (b *Bus) waitFor(name string, limit time.Duration) error {
	ctx, cancel := context.WithTimeout(context.Background(), limit)
	defer cancel()
	for {
		cmd := exec.CommandContext(ctx, "dbus-send", "--bus="+b.Address, "--print-reply", "--dest=org.freedesktop.DBus",
			"/org/freedesktop/DBus", "org.freedesktop.DBus.NameHasOwner", "string:"+name)
		out, _ := cmd.Output()
		if strings.Contains(string(out), "boolean true") {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%s did not appear on the test bus within %s", name, limit)
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// Stop kills the daemons and removes their files.
func (b *Bus) Stop() {
	for i := len(b.procs) - 1; i >= 0; i-- {
		p := b.procs[i]
		p.Process.Kill()
		p.Wait()
	}
	b.procs = nil
	os.RemoveAll(b.Dir)
}
