package fedcmd

import (
	"bufio"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/git-remote-federate/git-remote-federate/internal/gittest"
)

// startServeBinary runs `git-federate serve` on 127.0.0.1 with args and
// the webhook secret, and returns the address it logged for msg (the
// webhook listener's, "listening", and the metrics listener's,
// "metrics listening", when args ask for one).
func startServeBinary(t *testing.T, secret string, args ...string) map[string]string {
	t.Helper()
	cmd := exec.Command(filepath.Join(gittest.BinDir(t), "git-federate"), append([]string{"serve", "--listen", "127.0.0.1:0"}, args...)...)
	cmd.Env = append(os.Environ(), SecretEnv+"="+secret)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Signal(os.Interrupt)
		cmd.Wait()
	})
	want := map[string]bool{"listening": true}
	if slices.Contains(args, "--metrics-listen") {
		want["metrics listening"] = true
	}
	found := make(chan map[string]string, 1)
	go func() {
		addrs := map[string]string{}
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			for msg, addr := range gittest.ListenAddrs(sc.Text()) {
				if want[msg] {
					addrs[msg] = addr
					if len(addrs) == len(want) {
						found <- addrs
					}
				}
			}
		}
		io.Copy(io.Discard, stderr)
		close(found)
	}()
	select {
	case addrs, ok := <-found:
		if !ok {
			t.Fatal("serve exited before listening")
		}
		return addrs
	case <-time.After(30 * time.Second):
		t.Fatal("serve did not say where it listens within 30s")
		return nil
	}
}

// TestServeAnswersUnderIdleConnections opens 500 idle TCP connections
// to `git federate serve`, half from the forge's own address and half
// spread over 125 others, as a client that wants to starve it would
// (some send nothing, some half a request line's headers, some whole
// headers and then stall in the body); a signed GitHub delivery and
// /healthz are still answered (within a client limit of 30 s, three
// times a forge's delivery timeout).
func TestServeAnswersUnderIdleConnections(t *testing.T) {
	gittest.Isolate(t)
	const secret = "starve-test-secret"
	addr := startServeBinary(t, secret)["listening"]
	var idle []net.Conn
	defer func() {
		for _, c := range idle {
			c.Close()
		}
	}()
	for i := range 500 {
		from := "127.0.0.1"
		if i%2 == 1 {
			from = fmt.Sprintf("127.0.0.%d", 2+i/2%125)
		}
		d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(from)}, Timeout: 30 * time.Second}
		c, err := d.Dial("tcp", addr)
		if err != nil {
			t.Fatalf("idle connection %d from %s: %v", i, from, err)
		}
		idle = append(idle, c)
		switch i % 5 {
		case 0: // a request line and no more (slowloris)
			io.WriteString(c, "POST /webhook HTTP/1.1\r\nHost: x\r\n")
		case 1: // whole signed-looking headers, then a body that never comes
			io.WriteString(c, "POST /webhook HTTP/1.1\r\nHost: x\r\nX-GitHub-Event: push\r\n"+
				"X-Hub-Signature-256: sha256="+strings.Repeat("0", 64)+"\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{")
		}
	}

	client := &http.Client{Timeout: 30 * time.Second}
	body := `{"ref":"refs/heads/main","repository":{"clone_url":"https://github.com/someone/unknown.git","html_url":"https://github.com/someone/unknown"}}`
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(body))
	req, _ := http.NewRequest(http.MethodPost, "http://"+addr+"/webhook", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-GitHub-Event", "push")
	req.Header.Set("X-GitHub-Delivery", "72d3162e-cc78-11e3-81ab-4c9367dc0958")
	req.Header.Set("X-Hub-Signature-256", "sha256="+hex.EncodeToString(mac.Sum(nil)))
	resp, err := client.Do(req)
	if err != nil {
		t.Fatalf("the signed delivery was not answered under 500 idle connections: %v", err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusAccepted || !strings.Contains(string(b), "no federation for") {
		t.Fatalf("delivery: %s %q; want 202 and the signed event read", resp.Status, b)
	}
	resp, err = client.Get("http://" + addr + "/healthz")
	if err != nil {
		t.Fatalf("/healthz was not answered under 500 idle connections: %v", err)
	}
	b, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || string(b) != "ok\n" {
		t.Fatalf("/healthz: %s %q", resp.Status, b)
	}
}

// TestServeMetricsOnTheirOwnListener: the webhook port never serves
// /metrics (they name every federation and its results); with
// --metrics-listen they are served there, and only there.
func TestServeMetricsOnTheirOwnListener(t *testing.T) {
	gittest.Isolate(t)
	gittest.Git(t, "", "config", "--global", "federation.secret-project.origin", "https://example.com/secret-project.git")
	get := func(url string) (int, string) {
		t.Helper()
		resp, err := (&http.Client{Timeout: 30 * time.Second}).Get(url)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	addr := startServeBinary(t, "metrics-test-secret")["listening"]
	if code, body := get("http://" + addr + "/metrics"); code != http.StatusNotFound || strings.Contains(body, "federate_") {
		t.Errorf("without --metrics-listen, the webhook port answered /metrics: %d %q", code, body)
	}

	addrs := startServeBinary(t, "metrics-test-secret", "--metrics-listen", "127.0.0.1:0")
	addr, metrics := addrs["listening"], addrs["metrics listening"]
	if code, body := get("http://" + addr + "/metrics"); code != http.StatusNotFound || strings.Contains(body, "federate_") {
		t.Errorf("with --metrics-listen, the webhook port answered /metrics: %d %q", code, body)
	}
	if code, body := get("http://" + metrics + "/metrics"); code != http.StatusOK || !strings.Contains(body, "federate_start_time_seconds") {
		t.Errorf("the metrics listener answered %d %q", code, body)
	}
	if code, _ := get("http://" + metrics + "/webhook"); code != http.StatusNotFound {
		t.Errorf("the metrics listener answered /webhook with %d", code)
	}
}
