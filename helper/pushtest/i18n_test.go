package pushtest

import (
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"unicode"

	"github.com/git-remote-federate/git-remote-federate/internal/gittest"
	"github.com/git-remote-federate/git-remote-federate/keystore"
)

// zhCN is the environment of a user whose git speaks Simplified Chinese.
var zhCN = []string{"LANG=zh_CN.UTF-8", "LC_ALL=", "LC_MESSAGES=", "LANGUAGE="}

// pushIn runs `git push` with extra env and returns its combined output.
func (f *fed) pushIn(env []string, args ...string) string {
	f.t.Helper()
	out, err := gittest.GitCombined(f.work, env, append([]string{"push"}, args...)...)
	if err != nil {
		f.t.Fatalf("git push %v: %v\n%s", args, err, out)
	}
	f.checkNoSecrets(out)
	return out
}

func TestChinesePushReportOfAFailedMirror(t *testing.T) {
	f := newFed(t)
	f.m2.Close()
	f.commit("a.txt", "m2 is gone")
	out := f.pushIn(zhCN, "-v", "fed", "main")
	wantContains(t, out,
		"federate：镜像 "+f.m2.URL+"：推送失败：",
		"federate：镜像 "+f.m1.URL+"：成功，已更新 1 个引用",
		"federate：正在将 1 个引用推送到 2 个镜像",
		"federate：1 个更新已排入 ")
	wantNotContains(t, out, "push failed", "queued in")
}

func TestChineseBadTokenHint(t *testing.T) {
	f := newFed(t)
	u, _ := url.Parse(f.m1.URL)
	t.Setenv(keystore.EnvName(u.Host), "revoked-token")
	f.commit("a.txt", "m1 no longer takes our token")
	out := f.pushIn(zhCN, "fed", "main")
	wantContains(t, out, "federate：镜像 "+f.m1.URL+"：提示：无效的私人令牌：服务器拒绝了凭据，请在 "+keystore.EnvName(u.Host)+" 中设置有效的令牌")
	wantNotContains(t, out, "revoked-token", "refused the credentials")
}

// The same push under LANG=C keeps the English report.
func TestCLocalePushReportStaysEnglish(t *testing.T) {
	f := newFed(t)
	f.m2.Close()
	f.commit("a.txt", "m2 is gone")
	out := f.pushIn([]string{"LANG=C", "LANGUAGE=zh_CN"}, "-v", "fed", "main")
	wantContains(t, out, "federate: mirror "+f.m2.URL+": push failed:", "federate: mirror "+f.m1.URL+": ok, updated 1 ref")
	wantNotContains(t, out, "镜像")
}

func TestChineseCloneFailoverWarning(t *testing.T) {
	f := newFed(t)
	f.origin.Close()
	dir := filepath.Join(t.TempDir(), "clone")
	out, err := gittest.GitCombined("", zhCN, "clone", "federate::fed", dir)
	if err != nil {
		t.Fatalf("clone with the origin down: %v\n%s", err, out)
	}
	wantContains(t, out, "警告：federate：源仓库 "+f.origin.URL+" 无法访问（", "）；改为从镜像 ")
}

func TestChineseUnknownFederation(t *testing.T) {
	f := newFed(t)
	out, err := gittest.GitCombined("", zhCN, "clone", "federate::fdd", filepath.Join(t.TempDir(), "clone"))
	if err == nil {
		t.Fatalf("clone of an unknown federation succeeded:\n%s", out)
	}
	wantContains(t, out, `致命错误：federate：没有这个联邦 "fdd"；您是指 "fed" 吗？`)
	_ = f
}

func TestChineseFetchWithEveryServerDown(t *testing.T) {
	f := newFed(t)
	f.origin.Close()
	f.m1.Close()
	f.m2.Close()
	out, err := gittest.GitCombined(f.work, zhCN, "fetch", "fed")
	if err == nil {
		t.Fatalf("fetch with every server down succeeded:\n%s", out)
	}
	wantContains(t, out, "致命错误：federate：没有服务器能完成此次获取（源仓库和所有镜像都失败了）：\n",
		"\n"+f.origin.URL+"：", "\n"+f.m1.URL+"：")
}

// Origin down before a push: the one line that says nothing was pushed,
// and what to do, speaks Chinese; under LANG=C it stays English.
func TestChineseOriginDownDuringPush(t *testing.T) {
	f := newFed(t)
	f.commit("a.txt", "a")
	f.origin.AddFault(gittest.Fault{Prefix: "/app.git/", Status: 502, Body: "bad gateway"})
	out, err := gittest.GitCombined(f.work, zhCN, "push", "fed", "HEAD:main")
	if err == nil {
		t.Fatalf("push with the origin down succeeded:\n%s", out)
	}
	f.checkNoSecrets(out)
	wantContains(t, out, "致命错误：federate：无法访问源仓库 "+f.origin.URL+"（",
		"）：没有向任何服务器推送；请在它恢复后重试；如果源仓库本应只读，请设置 pushOrigin = false（`git config federation.fed.pushOrigin false`）")
	wantNotContains(t, out, "is unreachable", "nothing was pushed")

	en, err := gittest.GitCombined(f.work, []string{"LANG=C", "LANGUAGE=zh_CN"}, "push", "fed", "HEAD:main")
	if err == nil {
		t.Fatalf("push with the origin down succeeded:\n%s", en)
	}
	wantContains(t, en, "origin "+f.origin.URL+" is unreachable (", "): nothing was pushed anywhere; retry when it is back, or set pushOrigin = false (`git config federation.fed.pushOrigin false`) if origin is meant to be read-only")
}

// The reason the helper gives git for a ref a mirror did not take (git
// shows it as "! [remote rejected] main -> main (reason)") is in Chinese
// where the words are ours; the queue keeps its reasons in English.
func TestChineseRequireMirrorsReason(t *testing.T) {
	f := newFed(t, "federation.fed.requireMirrors", "true")
	f.m1.AddFault(gittest.Fault{Prefix: "/app.git", Status: 500, Body: "mirror broken", PushOnly: true})
	f.commit("a.txt", "must reach all")
	out, err := gittest.GitCombined(f.work, zhCN, "push", "fed", "main")
	if err == nil {
		t.Fatalf("push with a mirror down and requireMirrors succeeded:\n%s", out)
	}
	f.checkNoSecrets(out)
	wantContains(t, out, "main -> main (镜像 "+f.m1.URL+"：")
	wantNotContains(t, out, "(mirror ")
	if p := f.pendingFile(); !strings.Contains(p, f.m1.URL) || strings.ContainsFunc(p, func(r rune) bool { return r > unicode.MaxASCII }) {
		t.Errorf("the queue holds text of a language:\n%s", p)
	}
}

// Origin cut mid-push: the reason names origin and says the mirrors were
// not sent the push, in Chinese, around git's own words.
func TestChineseCutPushToOriginReason(t *testing.T) {
	f := newFed(t)
	f.bigCommit("big.bin", 256<<10)
	f.origin.AddFault(gittest.Fault{Prefix: "/app.git/git-receive-pack", CutRequestAfter: 32 << 10, Count: 1})
	out, err := gittest.GitCombined(f.work, zhCN, "push", "fed", "main")
	if err == nil {
		t.Fatalf("cut push succeeded:\n%s", out)
	}
	wantContains(t, out, "main -> main (源仓库 "+f.origin.URL+"：", "；未发送到镜像，请重试推送)")
	wantNotContains(t, out, "not sent to the mirrors")
}
