package protocol

import (
	"bufio"
	"errors"
	"reflect"
	"strings"
	"testing"
)

// client returns a Client whose helper answers with replies, and the
// buffer that collects what the client wrote.
func client(replies string) (*Client, *strings.Builder) {
	var sent strings.Builder
	return NewClient(&sent, bufio.NewReader(strings.NewReader(replies))), &sent
}

func TestClientOptions(t *testing.T) {
	c, sent := client("ok\nunsupported\nerror \"bad\\tvalue\"\n")
	got, err := c.Options(ClientOption{"progress", "true"}, ClientOption{"push-option", "a\nb"}, ClientOption{"cas", "refs/heads/x:" + oidA})
	if err != nil {
		t.Fatal(err)
	}
	want := []OptionReply{{OK: true}, {Unsupported: true}, {Err: "bad\tvalue"}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("replies = %+v, want %+v", got, want)
	}
	if w := "option progress true\noption push-option \"a\\nb\"\noption cas refs/heads/x:" + oidA + "\n"; sent.String() != w {
		t.Errorf("sent %q, want %q", sent.String(), w)
	}
}

func TestClientOptionsHelperGone(t *testing.T) {
	c, _ := client("ok\n")
	if _, err := c.Options(ClientOption{"progress", "true"}, ClientOption{"verbosity", "1"}); !errors.Is(err, ErrHelperExited) {
		t.Errorf("err = %v, want ErrHelperExited", err)
	}
}

func TestClientStatelessConnect(t *testing.T) {
	for reply, want := range map[string]bool{"\n": false, "fallback\n": true} {
		c, sent := client(reply)
		fallback, err := c.StatelessConnect("git-upload-pack")
		if err != nil || fallback != want {
			t.Errorf("reply %q: fallback %v, err %v; want %v", reply, fallback, err, want)
		}
		if sent.String() != "stateless-connect git-upload-pack\n" {
			t.Errorf("sent %q", sent.String())
		}
	}
	c, _ := client("what\n")
	if _, err := c.StatelessConnect("git-upload-pack"); err == nil {
		t.Error("an unexpected answer was taken")
	}
}

func TestClientListForPush(t *testing.T) {
	c, sent := client(":object-format sha1\n@refs/heads/main HEAD\n" + oidA + " refs/heads/main\n? refs/heads/odd\n\nrest")
	got, err := c.ListForPush()
	if err != nil {
		t.Fatal(err)
	}
	want := []Listed{{Attr: "object-format", Name: "sha1"}, {Name: "HEAD", Target: "refs/heads/main"},
		{Name: "refs/heads/main", OID: oidA}, {Name: "refs/heads/odd"}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("listing = %+v, want %+v", got, want)
	}
	if sent.String() != "list for-push\n" {
		t.Errorf("sent %q", sent.String())
	}
	c, _ = client("nonsense refs/heads/main\n\n")
	if _, err := c.ListForPush(); !errors.Is(err, ErrMalformed) {
		t.Errorf("err = %v, want ErrMalformed", err)
	}
}

func TestClientPush(t *testing.T) {
	replies := "ok refs/heads/main\noption refname refs/heads/main\n" +
		"ok refs/tags/v1 up to date\n" +
		"error refs/heads/side non-fast forward\n" +
		"error refs/heads/q \"hook says\\nno\"\n\n"
	c, sent := client(replies)
	got, err := c.Push([]PushRef{{Src: oidA, Dst: "refs/heads/main"}, {Src: "refs/tags/v1", Dst: "refs/tags/v1"},
		{Src: oidB, Dst: "refs/heads/side", Force: true}, {Dst: "refs/heads/q"}})
	if err != nil {
		t.Fatal(err)
	}
	want := []PushStatus{{Ref: "refs/heads/main", OK: true}, {Ref: "refs/tags/v1", OK: true, Msg: "up to date"},
		{Ref: "refs/heads/side", Msg: "non-fast forward"}, {Ref: "refs/heads/q", Msg: "hook says\nno"}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("statuses = %+v, want %+v", got, want)
	}
	wantSent := "push " + oidA + ":refs/heads/main\npush refs/tags/v1:refs/tags/v1\npush +" + oidB + ":refs/heads/side\npush :refs/heads/q\n\n"
	if sent.String() != wantSent {
		t.Errorf("sent %q, want %q", sent.String(), wantSent)
	}
}

func TestClientPushCutShort(t *testing.T) {
	c, _ := client("ok refs/heads/main\n")
	got, err := c.Push([]PushRef{{Src: oidA, Dst: "refs/heads/main"}, {Src: oidB, Dst: "refs/heads/b"}})
	if !errors.Is(err, ErrHelperExited) || len(got) != 1 {
		t.Errorf("got %+v, %v; want the one status and ErrHelperExited", got, err)
	}
}
