package fedcmd

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"text/tabwriter"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/git-remote-federate/git-remote-federate/internal/gittest"
	"github.com/git-remote-federate/git-remote-federate/internal/i18n"
	"github.com/git-remote-federate/git-remote-federate/internal/pending"
	"github.com/git-remote-federate/git-remote-federate/keystore"
)

// zhCN is the environment of a user whose git speaks Simplified Chinese.
var zhCN = []string{"LANG=zh_CN.UTF-8", "LC_ALL=", "LC_MESSAGES=", "LANGUAGE="}

// runIn runs the built git-federate with extra env.
func runIn(t *testing.T, env []string, args ...string) result {
	t.Helper()
	return runInDir(t, "", env, args...)
}

// runInDir runs the built git-federate in dir with extra env.
func runInDir(t *testing.T, dir string, env []string, args ...string) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, filepath.Join(gittest.BinDir(t), "git-federate"), args...)
	cmd.Env = append(os.Environ(), env...)
	cmd.Dir = dir
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code := 0
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("git-federate %v: %v", args, err)
	}
	return result{code: code, stdout: out.String(), err: errb.String()}
}

func wantIn(t *testing.T, what, text string, subs ...string) {
	t.Helper()
	for _, s := range subs {
		if !strings.Contains(text, s) {
			t.Errorf("%s lacks %q:\n%s", what, s, text)
		}
	}
}

func TestChineseSyncAndStatus(t *testing.T) {
	fx := newSyncFixture(t, 2)
	fx.commitOrigin(t, "main", "a.txt")

	st := runIn(t, zhCN, "status", "demo")
	wantIn(t, "status", st.stdout, "demo：源仓库 "+fx.origin+"\n", "  "+fx.mirrors[0]+"：1 个落后，")

	fx.srv.AddFault(gittest.Fault{Prefix: "/mirror2.git/", Status: 502, Body: "bad gateway"})
	r := runIn(t, zhCN, "sync", "demo")
	if r.code != ExitPartial {
		t.Fatalf("one mirror down: exit %d, want 3\n%s%s", r.code, r.stdout, r.err)
	}
	wantIn(t, "sync", r.stdout, "demo："+fx.origin+"（缓存中已有源仓库的引用）\n", "  "+fx.mirrors[1]+"：失败：", "  "+fx.mirrors[0]+"：1 个已更新")
	wantIn(t, "sync's stderr", r.err, "错误：并非所有镜像都已同步（demo）；见上文\n", "demo：正在将 1 个引用推送到 "+fx.mirrors[0]+"\n")
	assertNoToken(t, r.stdout, r.err)

	// JSON is for programs: the same in every language.
	fx.srv.ClearFaults()
	zh, en := runIn(t, zhCN, "status", "--json", "demo"), runIn(t, nil, "status", "--json", "demo")
	if zh.stdout != en.stdout || zh.stdout == "" {
		t.Errorf("status --json differs by language:\n%s\n%s", zh.stdout, en.stdout)
	}
}

// Under LANG=C the same flows keep their English words.
func TestCLocaleSyncAndStatusStayEnglish(t *testing.T) {
	fx := newSyncFixture(t, 1)
	fx.commitOrigin(t, "main", "a.txt")
	r := runIn(t, []string{"LANG=C"}, "sync", "demo")
	wantIn(t, "sync", r.stdout, "demo: "+fx.origin+" (fetched origin)\n", "  "+fx.mirrors[0]+": 1 updated")
	fx.commitOrigin(t, "main", "b.txt")
	st := runIn(t, []string{"LANG=C", "LANGUAGE=zh_CN"}, "status", "demo")
	wantIn(t, "status", st.stdout, "demo: origin "+fx.origin+"\n", "  "+fx.mirrors[0]+": 1 behind, ")
}

func TestChineseUnknownFederationAndHelp(t *testing.T) {
	newSyncFixture(t, 1)
	r := runIn(t, zhCN, "status", "demx")
	if r.code == ExitOK {
		t.Fatalf("status of an unknown federation succeeded:\n%s", r.stdout)
	}
	wantIn(t, "stderr", r.err, `错误：没有这个联邦 "demx"；您是指 "demo" 吗？`)
	if en := runIn(t, nil, "status", "demx"); !strings.Contains(en.err, `error: no such federation "demx"; did you mean "demo"?`) {
		t.Errorf("English stderr:\n%s", en.err)
	}

	doc := runIn(t, zhCN, "doctor")
	wantIn(t, "doctor", doc.stdout, "正常  PATH 中的 git-federate：", "操作系统密钥环", "正常  联邦配置：1 个联邦，0 个联邦集")
	if en := runIn(t, nil, "doctor"); !strings.Contains(en.stdout, "federation config: 1 federation(s), 0 federationset(s)") {
		t.Errorf("English doctor:\n%s", en.stdout)
	}

	typo := runIn(t, zhCN, "stauts")
	wantIn(t, "a mistyped command", typo.err, "错误：\"stauts\" 不是一个 git federate 命令。参见 'git federate --help'。\n\n最相似的命令是\n\tstatus\n")
	if typo.code != ExitUsage {
		t.Errorf("mistyped command: exit %d, want 2", typo.code)
	}

	help := runIn(t, zhCN, "--help")
	wantIn(t, "--help", help.stdout, "一个 git 远程，代表整个联邦的服务器", "用法：", "命令：", "比较源仓库与每个镜像的每个引用")
	sync := runIn(t, zhCN, "sync", "--help")
	wantIn(t, "sync --help", sync.stdout, "选项：", "同步所有已配置的联邦", "--all")
	if man, en := runIn(t, zhCN, "man"), runIn(t, nil, "man"); man.stdout != en.stdout || man.code != ExitOK {
		t.Errorf("the manual page changes with the language:\n%s", man.stdout)
	}
	if en := runIn(t, []string{"LANG=C"}, "sync", "--help"); !strings.Contains(en.stdout, "OPTIONS:") || !strings.Contains(en.stdout, "sync every configured federation") {
		t.Errorf("English sync --help:\n%s", en.stdout)
	}
}

// The demo runs the whole story (clone, push, status, sync) through the
// real binaries: under zh_CN every step speaks Chinese.
func TestChineseDemo(t *testing.T) {
	gittest.Isolate(t)
	r := runIn(t, zhCN, "demo")
	if r.code != ExitOK {
		t.Fatalf("demo: exit %d\n%s%s", r.code, r.stdout, r.err)
	}
	wantIn(t, "demo", r.stdout, "==> 通过联邦克隆\n", "  源仓库（好比 GitHub）    http://127.0.0.1:", "  镜像 1（好比 Gitee）     http://127.0.0.1:", "✓ 源仓库和两个镜像上的 main 都是 ", "：源仓库 ", "\n完成：一个远程，三台服务器，全部同步。")
}

// import-gitblit's notes and report speak Chinese; the git config it
// prints (for programs and for git) is the same in every language.
func TestChineseImportGitblit(t *testing.T) {
	gittest.Isolate(t)
	file, _ := writeProperties(t, gitblitProperties)
	zh := runIn(t, zhCN, "import-gitblit", "--dry-run", file)
	if zh.code != ExitOK {
		t.Fatalf("import-gitblit --dry-run: exit %d\n%s", zh.code, zh.err)
	}
	wantIn(t, "notes", zh.err,
		"注意：未导入 federation.passphrase；`git federate token --passphrase-stdin` 可输出它对应的令牌\n",
		"注意：main：其令牌不会复制到 git 配置中；请用 `git federate login https://gitblit.example.com` 保存令牌\n",
		"注意：main：mergeAccounts 没有对应项（账户和状态留在 Gitblit 上）；已跳过\n",
		"注意：lab：已忽略 bare = false：镜像总是裸仓库\n")
	en := runIn(t, []string{"LANG=C"}, "import-gitblit", "--dry-run", file)
	if en.stdout != zh.stdout || en.stdout == "" {
		t.Errorf("the printed config differs by language:\n%s\n%s", zh.stdout, en.stdout)
	}
	wantIn(t, "English notes", en.err, "note: main: mergeAccounts has no equivalent (accounts and status stay on Gitblit); skipped\n")

	r := runIn(t, zhCN, "import-gitblit", file)
	wantIn(t, "import", r.stdout, `已将 Gitblit 注册 "main" 导入为联邦集 "main"（`,
		"下一步：对每台 Gitblit 服务器运行 `git federate login <url>`，然后运行 `git federate sync --all`。\n")
	again := runIn(t, zhCN, "import-gitblit", file)
	wantIn(t, "a second import", again.err, `错误：联邦集 "lab" 已在 `, "用 --force 重新运行以替换它")
}

// A federation that fails as a whole (origin down) is named once, and
// the error from the sync engine speaks Chinese.
func TestChineseSyncOriginDown(t *testing.T) {
	fx := newSyncFixture(t, 1)
	fx.commitOrigin(t, "main", "a.txt")
	fx.srv.AddFault(gittest.Fault{Prefix: "/origin.git/", Status: 502, Body: "bad gateway"})
	r := runIn(t, zhCN, "sync", "demo")
	if r.code == ExitOK {
		t.Fatalf("sync with the origin down succeeded:\n%s", r.stdout)
	}
	wantIn(t, "sync", r.stdout+r.err, "demo：失败：源仓库：")
	if strings.Contains(r.stdout+r.err, "demo：失败：demo：") {
		t.Errorf("the federation is named twice:\n%s", r.stdout)
	}
	en := runIn(t, []string{"LANG=C"}, "sync", "demo")
	wantIn(t, "English sync", en.stdout+en.err, "demo: FAILED: origin: ")
}

// fakeGitHubScopes is a GitHub API that accepts ghp_good, gives it the
// scopes read:org and gist (no repo: it may not push a mirror), and has
// the repository o/r but not o/gone.
func fakeGitHubScopes(t *testing.T) (host string) {
	t.Helper()
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer ghp_good" {
			http.Error(w, `{"message":"Bad credentials"}`, http.StatusUnauthorized)
			return
		}
		w.Header().Set("X-OAuth-Scopes", "read:org, gist")
		switch r.URL.Path {
		case "/user":
			w.Write([]byte(`{"login":"octocat"}`))
		case "/repos/o/r", "/repos/o/up":
			w.Write([]byte(`{"name":"r","full_name":"o/r","permissions":{"admin":false,"push":false,"pull":true}}`))
		default:
			http.Error(w, `{"message":"Not Found"}`, http.StatusNotFound)
		}
	}))
	t.Cleanup(api.Close)
	host = "https://ghe.example.com"
	gittest.Git(t, "", "config", "--global", "federate."+host+".forge", "github")
	gittest.Git(t, "", "config", "--global", "federate."+host+".api", api.URL)
	t.Setenv("FEDERATE_KEYRING", "off")
	t.Setenv(keystore.EnvName("ghe.example.com"), "ghp_good")
	return host
}

// The scope lines of auth and doctor, and add's server checks, speak
// Chinese under zh_CN and stay English under LANG=C.
func TestChineseScopesAndAddChecks(t *testing.T) {
	gittest.Isolate(t)
	host := fakeGitHubScopes(t)
	// Every server is the fake API on 127.0.0.1: nothing leaves the machine.
	gittest.Git(t, "", "config", "--global", "federation.p.origin", host+"/o/up.git")
	gittest.Git(t, "", "config", "--global", "federation.p.mirror", host+"/o/r.git")

	zh := runIn(t, zhCN, "auth")
	// The columns line up on a terminal, where a Chinese character takes two.
	if lines := strings.Split(zh.stdout, "\n"); len(lines) < 2 ||
		displayWidth(lines[0][:strings.Index(lines[0], "代码托管平台")]) != strings.Index(lines[1], "github") {
		t.Errorf("auth's columns are not aligned:\n%s", zh.stdout)
	}
	wantIn(t, "auth", zh.stdout, "主机", "令牌来源", "缺少权限范围（见下文）",
		"  权限范围：gist, read:org\n",
		"  无权限的私人令牌，无法推送（镜像）：需要权限范围 repo（可在 "+host+"/settings/tokens 修改）\n")
	en := runIn(t, []string{"LANG=C"}, "auth")
	wantIn(t, "English auth", en.stdout, "HOST", "TOKEN FROM", "MISSING SCOPES (below)",
		"  scopes: gist, read:org\n",
		"  token without permission to push (a mirror): it needs the scope repo (change it at "+host+"/settings/tokens)\n")
	if js, jen := runIn(t, zhCN, "auth", "--json"), runIn(t, nil, "auth", "--json"); js.stdout != jen.stdout || js.stdout == "" {
		t.Errorf("auth --json differs by language:\n%s\n%s", js.stdout, jen.stdout)
	}

	doc := runIn(t, zhCN, "doctor")
	wantIn(t, "doctor", doc.stdout, "权限范围：gist, read:org", "无权限的私人令牌，无法推送（镜像）")
	if strings.Contains(doc.stdout, "scopes:") {
		t.Errorf("doctor speaks English of scopes:\n%s", doc.stdout)
	}
	docEn := runIn(t, []string{"LANG=C"}, "doctor")
	wantIn(t, "English doctor", docEn.stdout, "scopes: gist, read:org")

	add := runIn(t, zhCN, "add", "q", "--global", "--origin", host+"/o/r.git", "--mirror", host+"/o/gone.git")
	if add.code != ExitPartial {
		t.Fatalf("add with a missing mirror: exit %d, want 3\n%s", add.code, add.err)
	}
	wantIn(t, "add", add.err,
		"警告：仓库不存在："+host+"/o/gone.git。是否已被删除或改名？",
		"错误：联邦已写入，但有服务器需要处理（见上文）\n")
	addEn := runIn(t, []string{"LANG=C"}, "add", "q2", "--global", "--origin", host+"/o/r.git", "--mirror", host+"/o/gone.git")
	wantIn(t, "English add", addEn.err,
		"warning: repository "+host+"/o/gone.git not found: was it deleted or renamed?",
		"error: federation written, but some servers need attention (above)\n")
}

// Every command's help is in Chinese under zh_CN: its usage line, its
// description and each of its flags, the flags urfave/cli adds and their
// "(default: …)" included. A help text the catalog cannot find (one that
// is not a single string literal) would stay English.
func TestChineseHelpOfEveryCommand(t *testing.T) {
	zh := i18n.New(i18n.SimplifiedChinese)
	en, app := NewApp(IO{}), NewApp(IO{P: zh})
	for i, c := range en.Commands {
		z := app.Commands[i]
		if c.Usage == z.Usage {
			t.Errorf("%s: usage not translated: %q", c.Name, c.Usage)
		}
		if c.Description != "" && c.Description == z.Description {
			t.Errorf("%s: description not translated:\n%s", c.Name, c.Description)
		}
		for j, f := range c.Flags {
			if f.String() == flagText(zh.Language().String(), z.Flags[j]) {
				t.Errorf("%s: flag not translated: %s", c.Name, f.String())
			}
		}
	}

	r := runIn(t, zhCN, "sync", "--help")
	wantIn(t, "sync --help", r.stdout, "选项：", "git federate sync [命令选项] [name…|--all]", "同步所有已配置的联邦（默认：false）", "（默认：4）", "--help, -h              显示帮助\n")
	top := runIn(t, zhCN, "--help")
	wantIn(t, "--help", top.stdout, "全局选项：", "--help, -h  显示帮助\n")
	add := runIn(t, zhCN, "add", "--help")
	wantIn(t, "add --help", add.stdout, "--set 接受以下键：", "pushOrigin      推送先更新源仓库；", "示例：\n",
		"git federate add linkis --global \\\n")
	serve := runIn(t, zhCN, "serve", "--help")
	wantIn(t, "serve --help", serve.stdout, "共享密钥来自 --secret-file 或 "+SecretEnv+"。", "（否则用 $"+SecretEnv+"）")
	for _, out := range []string{r.stdout, top.stdout, add.stdout, serve.stdout} {
		for _, english := range []string{"show help", "(default:", "OPTIONS:", "USAGE:", "COMMANDS:", "[command options]"} {
			if strings.Contains(out, english) {
				t.Errorf("help under zh_CN holds %q:\n%s", english, out)
			}
		}
	}

	c := runIn(t, []string{"LANG=C"}, "sync", "--help")
	wantIn(t, "English sync --help", c.stdout, "OPTIONS:", "sync every configured federation (default: false)", "--help, -h              show help\n")
	wantIn(t, "English add --help", runIn(t, []string{"LANG=C"}, "add", "--help").stdout,
		"--set takes these keys:", "pushOrigin      a push updates origin first;")
}

// The errors of flag parsing, which urfave/cli takes from Go's flag
// package, are worded in Chinese, the option named as it is typed.
func TestChineseFlagErrors(t *testing.T) {
	gittest.Isolate(t)
	for _, c := range []struct {
		args   []string
		zh, en string
	}{
		{[]string{"sync", "--jobs", "x"}, `错误：选项 --jobs 的值 "x" 无效：解析错误。参见 'git federate sync --help'。`,
			`error: invalid value "x" for flag --jobs: parse error. See 'git federate sync --help'.`},
		{[]string{"sync", "--jobs"}, "错误：选项需要一个值：--jobs。", "error: flag needs an argument: --jobs."},
		{[]string{"sync", "--all=maybe"}, `错误：--all 的布尔值 "maybe" 无效：解析错误。`, `error: invalid boolean value "maybe" for --all: parse error.`},
		{[]string{"sync", "-j", "99999999999999999999"}, "无效：值超出范围。", "value out of range."},
		{[]string{"status", "--bogus"}, "错误：未知选项 --bogus。参见 'git federate status --help'。", "error: unknown option --bogus. See"},
		{[]string{"hook", "add", "---x"}, "错误：选项语法错误：---x。", "error: bad flag syntax: ---x."},
	} {
		zh := runIn(t, zhCN, c.args...)
		if zh.code != ExitUsage {
			t.Errorf("%v: exit %d, want 2", c.args, zh.code)
		}
		wantIn(t, strings.Join(c.args, " "), zh.err, c.zh)
		wantIn(t, strings.Join(c.args, " ")+" under LANG=C", runIn(t, []string{"LANG=C"}, c.args...).err, c.en)
	}

	// urfave/cli's own "No help topic" says itself in Chinese too.
	var b bytes.Buffer
	code := IO{Err: &b, P: i18n.New(i18n.SimplifiedChinese)}.exit(cli.Exit("No help topic for 'x'", 3))
	if code != 3 || b.String() != "错误：没有 'x' 的帮助主题\n" {
		t.Errorf("No help topic: %d %q", code, b.String())
	}
}

// The reasons the queue keeps are English; status says ours in Chinese
// and a server's words as it sent them.
func TestChineseStatusOfQueuedWork(t *testing.T) {
	fx := newSyncFixture(t, 1)
	head := gittest.Git(t, fx.work, "rev-parse", "HEAD")
	q := pending.Open(gittest.Git(t, fx.work, "rev-parse", "--absolute-git-dir"))
	since := time.Now().Add(-3 * time.Hour).UTC().Truncate(time.Second)
	if err := q.Add(t.Context(), pending.Entry{Mirror: fx.mirrors[0], Ref: "refs/heads/wip", OID: head,
		Since: since, Reason: "pre-receive hook declined"}); err != nil {
		t.Fatal(err)
	}
	if err := q.Plan(t.Context(), pending.Entry{Mirror: fx.mirrors[0], Ref: "refs/heads/next", OID: head,
		Since: since, Reason: pending.ReasonInterrupted.String()}); err != nil {
		t.Fatal(err)
	}
	zh := runInDir(t, fx.work, zhCN, "status", "demo")
	wantIn(t, "status", zh.stdout, "：pre-receive hook declined\n", "：将其加入队列的推送在镜像应答之前就结束了\n")
	en := runInDir(t, fx.work, []string{"LANG=C"}, "status", "demo")
	wantIn(t, "English status", en.stdout, ": pre-receive hook declined\n", ": the push that queued it ended before the mirror answered\n")
}

// What is wrong with the configuration, and with a URL given to add, is
// said in Chinese, each of several problems included.
func TestChineseConfigErrors(t *testing.T) {
	gittest.Isolate(t)
	gittest.Git(t, "", "config", "--global", "federation.d.origin", "https://example.org/o/r.git")
	gittest.Git(t, "", "config", "--global", "federation.d.mirror", "https://example.org/o/m.git")
	gittest.Git(t, "", "config", "--global", "federation.d.failover", "maybe")
	gittest.Git(t, "", "config", "--global", "federation.d.frequency", "1 minute")
	zh := runIn(t, zhCN, "status", "d")
	wantIn(t, "status", zh.err, `错误：联邦 "d" 配置有误：federation.d.failover："maybe" 不是布尔值`,
		`federation.d.frequency："1 minute" 过于频繁：最少为 5 mins`)
	en := runIn(t, []string{"LANG=C"}, "status", "d")
	wantIn(t, "English status", en.err, `error: federation "d" is misconfigured: federation.d.failover: "maybe" is not a boolean`,
		`federation.d.frequency: "1 minute" is too often: the minimum is 5 mins`)

	dir := t.TempDir()
	add := runInDir(t, dir, zhCN, "add", "x", "--origin", "https://a.example/b.git", "--mirror", "https://u:secret@c.example/d.git", "--no-check")
	wantIn(t, "add", add.err, "错误：--mirror：无法使用的 URL：https://u:***@c.example/d.git 中带有密码或令牌；请改用 `git federate login https://c.example` 保存它")
	if strings.Contains(add.err, "secret") {
		t.Errorf("the password is shown:\n%s", add.err)
	}
	norepo := runInDir(t, dir, zhCN, "add", "y", "--origin", "https://a.example/b.git", "--mirror", "https://c.example/d.git", "--no-check")
	wantIn(t, "add outside a repository", norepo.err, "错误：不在 git 仓库中：请在仓库内运行，或加上 --global 以使用全局 git 配置\n")
	wantIn(t, "English add outside a repository", runInDir(t, dir, []string{"LANG=C"}, "add", "y", "--origin", "https://a.example/b.git", "--mirror", "https://c.example/d.git", "--no-check").err,
		"error: not in a git repository: run this inside one, or add --global to use your global git config\n")
}

// The per-ref lines of sync and status (a ref kept because it has
// commits only on the mirror) speak Chinese, their columns aligned.
func TestChineseRefLinesOfSyncAndStatus(t *testing.T) {
	fx := newSyncFixture(t, 1)
	fx.divergeMirror(t, 0, "main")
	r := runIn(t, zhCN, "sync", "demo")
	if r.code != ExitPartial {
		t.Fatalf("sync with a mirror ahead: exit %d, want 3\n%s%s", r.code, r.stdout, r.err)
	}
	wantIn(t, "sync", r.stdout, "    保留    领先      refs/heads/main  ", "  （提交只在镜像上；--force 会覆盖它们）\n")
	st := runIn(t, zhCN, "status", "demo")
	wantIn(t, "status", st.stdout, "    领先      refs/heads/main  ", "（提交只在镜像上；--force 会覆盖它们）")

	en := runIn(t, []string{"LANG=C"}, "sync", "demo")
	wantIn(t, "English sync", en.stdout, "    keep    ahead     refs/heads/main  ", "  (commits only on the mirror; --force overwrites them)\n")
	enSt := runIn(t, []string{"LANG=C"}, "status", "demo")
	wantIn(t, "English status", enSt.stdout, "    ahead     refs/heads/main  ")
}

// writeColumns lays English rows out as text/tabwriter did.
func TestWriteColumnsAsTabwriter(t *testing.T) {
	rows := [][]string{{"HOST", "FORGE", "TOKEN FROM", "STATUS"},
		{"https://gitee.com", "gitee", "keyring", "ok"},
		{"https://gitlab.example.com", "gitlab", "(none)", "UNREACHABLE: no answer"}}
	var want, got bytes.Buffer
	tw := tabwriter.NewWriter(&want, 0, 4, 2, ' ', 0)
	for _, r := range rows {
		fmt.Fprintln(tw, strings.Join(r, "\t"))
	}
	tw.Flush()
	writeColumns(&got, rows)
	if got.String() != want.String() {
		t.Errorf("writeColumns:\n%s\ntabwriter:\n%s", got.String(), want.String())
	}
}
