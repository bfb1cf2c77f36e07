package pending

import (
	"testing"

	"github.com/git-remote-federate/git-remote-federate/internal/gitexec"
	"github.com/git-remote-federate/git-remote-federate/internal/i18n"
)

// The queue keeps reasons in English; Say words ours in the reader's
// language and leaves a server's words as they are.
func TestSayReason(t *testing.T) {
	zh := i18n.New(i18n.SimplifiedChinese)
	stalled, ok := gitexec.StallReason("error: RPC failed; curl 28 Operation too slow")
	if !ok {
		t.Fatal("no stall reason")
	}
	for reason, want := range map[string]string{
		ReasonInterrupted.String():                   "将其加入队列的推送在镜像应答之前就结束了",
		ReasonBroke.String():                         "推送过程中连接中断",
		ReasonNoLFS.String():                         "LFS 对象未上传：服务器不支持 Git LFS",
		ReasonUnreachable.String():                   "无法访问镜像",
		ReasonDiverged.String():                      "镜像的引用含有此更新所没有的提交（保留，未强制覆盖）",
		ReasonBackground.String():                    "已排队，等待后台推送到镜像",
		"LFS objects not uploaded: HTTP 413 too big": "LFS 对象未上传：HTTP 413 too big",
		stalled:                     "推送过程中服务器停止应答（Operation too slow）",
		"pre-receive hook declined": "pre-receive hook declined",
		"LFS objects not uploaded":  "LFS objects not uploaded",
	} {
		if got := Say(zh, reason); got != want {
			t.Errorf("Say(zh, %q) = %q, want %q", reason, got, want)
		}
		if got := Say(nil, reason); got != reason {
			t.Errorf("Say(English, %q) = %q", reason, got)
		}
	}
}
